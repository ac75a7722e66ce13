"""template.yaml's FilesBucket: private, TLS only, expiring what it holds, open to the console's origin for
the browser's upload and download, and named to the API that signs them."""

from __future__ import annotations

from typing import Any

from leadrouter_local.template import functions, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
BUCKET: dict[str, Any] = RESOURCES["FilesBucket"]["Properties"]
CONSOLE_ORIGIN = {
    "Fn::If": [
        "AdminOriginIsConsole",
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"},
        {"Ref": "AllowedOrigins"},
    ]
}


def test_the_bucket_blocks_public_access_and_acls_and_is_encrypted() -> None:
    assert RESOURCES["FilesBucket"]["Type"] == "AWS::S3::Bucket"
    assert BUCKET["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert BUCKET["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (encryption,) = BUCKET["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert "WebsiteConfiguration" not in BUCKET and "AccessControl" not in BUCKET


def test_the_bucket_refuses_every_request_without_tls() -> None:
    (policy,) = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::S3::BucketPolicy"
                 and r["Properties"]["Bucket"] == {"Ref": "FilesBucket"}]  # fmt: skip
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    bucket, objects = {"Fn::GetAtt": ["FilesBucket", "Arn"]}, {"Fn::Sub": "${FilesBucket.Arn}/*"}
    assert statement["Resource"] == [bucket, objects]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_imports_and_exports_expire_after_the_retention_parameter_and_stray_parts_after_a_day() -> None:
    rules = BUCKET["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule}
    assert expiring == {"imports/": {"Ref": "FileRetentionDays"}, "exports/": {"Ref": "FileRetentionDays"}}
    retention = TEMPLATE["Parameters"]["FileRetentionDays"]
    assert retention["Type"] == "Number" and retention["Default"] == 7 and retention["MinValue"] >= 1
    (aborting,) = [rule for rule in rules if "AbortIncompleteMultipartUpload" in rule]
    assert aborting["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "Prefix" not in aborting  # the whole bucket


def test_only_the_consoles_origin_may_post_and_get_across_origins() -> None:
    (rule,) = BUCKET["CorsConfiguration"]["CorsRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    # The same origin as the API's CORS: the console's CloudFront domain, or the AllowedOrigins parameter
    assert rule["AllowedOrigins"] == [CONSOLE_ORIGIN]
    variables = RESOURCES["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ALLOWED_ORIGINS"] == CONSOLE_ORIGIN


def test_the_api_is_named_the_bucket_which_is_no_global_and_the_stack_outputs_it() -> None:
    # Only a function granted the bucket is named it (the API signs uploads and downloads)
    assert functions(TEMPLATE)["ApiFunction"]["environment"]["FILES_BUCKET"] == {"Ref": "FilesBucket"}
    assert "FILES_BUCKET" not in TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert TEMPLATE["Outputs"]["FilesBucketName"]["Value"] == {"Ref": "FilesBucket"}
