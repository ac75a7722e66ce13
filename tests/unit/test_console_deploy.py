"""make console-deploy: config.json from the stack's outputs, uploads with their headers, the invalidation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from leadrouter_local import console_deploy as cd
from leadrouter_local.template import load_template

REGION = "ap-southeast-1"
OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.ap-southeast-1.amazonaws.com/prod",
    "UserPoolId": "ap-southeast-1_AbCdEf123",
    "UserPoolClientId": "5e6f7g8h9i0j",
    "ConsoleUrl": "https://d111111abcdef8.cloudfront.net/",
    "ConsoleBucketName": "leadrouter-prod-consolebucket-1x2y3z",
}
BUILT = {
    "index.html": b"<!doctype html><script type=module src=/assets/index-BxTq_3Zs.js></script>",
    "assets/index-BxTq_3Zs.js": b"console.log(1)",
    "assets/index-Dm9k2LpQ.css": b"body{}",
    "assets/Inter-var-a1B2c3D4.woff2": b"wOF2",
    "favicon.svg": b"<svg/>",
    "sounds/new-lead.mp3": b"ID3",
    "config.json": b'{"apiUrl": "http://127.0.0.1:3000"}',  # a local build's: never published
}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    for key, body in BUILT.items():
        path = tmp_path / "dist" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return tmp_path / "dist"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("config.json", "application/json; charset=utf-8"),
        ("assets/index-BxTq_3Zs.js", "text/javascript; charset=utf-8"),
        ("assets/index-Dm9k2LpQ.css", "text/css; charset=utf-8"),
        ("assets/Inter-var-a1B2c3D4.woff2", "font/woff2"),
        ("favicon.svg", "image/svg+xml"),
        ("sounds/new-lead.mp3", "audio/mpeg"),
        ("assets/index-BxTq_3Zs.js.map", "application/json; charset=utf-8"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_each_file_is_served_with_its_content_type(key: str, expected: str) -> None:
    assert cd.content_type(key) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("assets/index-BxTq_3Zs.js", cd.IMMUTABLE),
        ("assets/chunks/chart-9f8E7d6C.js", cd.IMMUTABLE),
        ("assets/Inter-var-a1B2c3D4.woff2", cd.IMMUTABLE),
        # The two names that never change, and files Vite copies unhashed, are revalidated each load
        ("index.html", "no-cache"),
        ("config.json", "no-cache"),
        ("favicon.svg", "no-cache"),
        ("sounds/new-lead.mp3", "no-cache"),
        ("assets/logo.svg", "no-cache"),  # under assets/ but without a hash
        ("index-BxTq_3Zs.js", "no-cache"),  # a hash-like name outside assets/
    ],
)
def test_only_content_hashed_assets_are_cached_for_a_year(key: str, expected: str) -> None:
    assert cd.cache_control(key) == expected


def test_the_immutable_cache_is_a_year() -> None:
    assert "max-age=31536000" in cd.IMMUTABLE and "immutable" in cd.IMMUTABLE


def test_config_json_is_made_from_the_stacks_outputs() -> None:
    config = cd.console_config({**OUTPUTS, "ApiUrl": OUTPUTS["ApiUrl"] + "/"}, REGION)
    assert config == {
        "apiUrl": "https://abc123.execute-api.ap-southeast-1.amazonaws.com/prod",
        "region": REGION,
        "userPoolId": "ap-southeast-1_AbCdEf123",
        "userPoolClientId": "5e6f7g8h9i0j",
        "authFlow": "USER_SRP_AUTH",
    }


def test_the_outputs_it_reads_are_the_templates() -> None:
    outputs = load_template()["Outputs"]
    assert set(cd._OUTPUTS) | {"ConsoleUrl"} <= outputs.keys()


def test_the_stack_and_region_come_from_samconfig(tmp_path: Path) -> None:
    assert cd.stack_of("default") == ("leadrouter-dev", "ap-southeast-1")
    assert cd.stack_of("prod") == ("leadrouter-prod", "ap-southeast-1")
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[qa.global.parameters]\nstack_name = "g"\nregion = "us-east-1"\n'
        '[qa.deploy.parameters]\nstack_name = "lr-qa"\n'
    )
    assert cd.stack_of("qa", samconfig) == ("lr-qa", "us-east-1")
    with pytest.raises(SystemExit, match=r"no \[staging\]"):
        cd.stack_of("staging", samconfig)


def test_index_html_goes_last_and_hashed_assets_first(dist: Path) -> None:
    keys = [key for _, key in cd.files_in_order(dist)]
    assert keys[-1] == "index.html"
    assert set(keys[:3]) == {k for k in BUILT if cd.cache_control(k) == cd.IMMUTABLE}
    assert "config.json" not in keys


@mock_aws
def test_upload_puts_every_file_with_its_headers_and_the_stacks_config(dist: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="console", CreateBucketConfiguration={"LocationConstraint": REGION})
    config = cd.console_config(OUTPUTS, REGION)

    keys = cd.upload(s3, "console", dist, config)

    # Every built file and config.json are in the bucket, index.html put last
    assert set(keys) == set(BUILT) and keys[-1] == "index.html"
    for key in BUILT:
        head = s3.head_object(Bucket="console", Key=key)
        assert head["ContentType"] == cd.content_type(key), key
        assert head["CacheControl"] == cd.cache_control(key), key
    assert s3.head_object(Bucket="console", Key="assets/index-BxTq_3Zs.js")["CacheControl"] == cd.IMMUTABLE
    assert s3.head_object(Bucket="console", Key="index.html")["CacheControl"] == "no-cache"
    # config.json is the stack's, not the one the local build left in dist
    body = s3.get_object(Bucket="console", Key="config.json")["Body"].read()
    assert json.loads(body) == config
    assert s3.get_object(Bucket="console", Key="index.html")["Body"].read() == BUILT["index.html"]


def test_upload_refuses_a_console_that_was_not_built(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="build the console first"):
        cd.upload(object(), "console", tmp_path, {})


def _distribution(cloudfront: object) -> str:
    config = {
        "CallerReference": "test",
        "Comment": "console",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "files",
                    "DomainName": "console.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {"TargetOriginId": "files", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    answer = cloudfront.create_distribution(DistributionConfig=config)  # type: ignore[attr-defined]
    return str(answer["Distribution"]["Id"])


@mock_aws
def test_deploy_reads_the_stack_uploads_and_invalidates_index_and_config(dist: Path) -> None:
    # Given a stack with the console's bucket and outputs (and the distribution they name)
    session = boto3.Session(region_name=REGION)
    cloudfront = session.client("cloudfront")
    outputs = {**OUTPUTS, "ConsoleDistributionId": _distribution(cloudfront)}
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": OUTPUTS["ConsoleBucketName"]}}
    template = {
        "Resources": {"ConsoleBucket": bucket},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    session.client("cloudformation").create_stack(
        StackName="leadrouter-prod", TemplateBody=json.dumps(template)
    )

    # When the console is deployed to it
    url, keys, invalidation = cd.deploy(session, "leadrouter-prod", dist)

    # Then its files and config.json are in the bucket and CloudFront fetches index.html and config.json again
    assert url == OUTPUTS["ConsoleUrl"] and set(keys) == set(BUILT)
    body = session.client("s3").get_object(Bucket=OUTPUTS["ConsoleBucketName"], Key="config.json")["Body"]
    assert json.loads(body.read())["userPoolClientId"] == OUTPUTS["UserPoolClientId"]
    answer = cloudfront.get_invalidation(DistributionId=outputs["ConsoleDistributionId"], Id=invalidation)
    paths = answer["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert {"/index.html", "/config.json"} <= set(paths)


@mock_aws
def test_a_stack_without_the_consoles_outputs_is_named_in_the_error() -> None:
    session = boto3.Session(region_name=REGION)
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"ApiUrl": {"Value": OUTPUTS["ApiUrl"]}},
    }
    session.client("cloudformation").create_stack(StackName="old", TemplateBody=json.dumps(template))
    with pytest.raises(SystemExit, match=r"stack old has no output UserPoolId, .*ConsoleBucketName"):
        cd.stack_outputs(session.client("cloudformation"), "old")


def test_make_console_deploy_builds_the_console_then_runs_this_script() -> None:
    # A dry run only: no override may name the Makefile as a target (make remakes its makefiles even
    # under -n, and the venv's recipe would then really run, under the feet of the suite)
    dry_run = subprocess.run(
        ["make", "-B", "-n", "--no-print-directory", "console-deploy", "CONFIG_ENV=prod"],
        cwd=cd.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    (build,) = [i for i, line in enumerate(dry_run) if "npm run --silent build" in line]
    (deploy,) = [i for i, line in enumerate(dry_run) if "-m leadrouter_local.console_deploy" in line]
    assert build < deploy and dry_run[deploy].endswith("--config-env prod")
