"""`make console-deploy`: publish the built console (console/dist/) to the stack's bucket behind CloudFront.

The stack (name and region from samconfig.toml, ``--config-env`` as for ``sam deploy``) names the bucket,
the distribution and the settings the console reads at run time; this writes those settings as
``config.json`` next to ``index.html``, uploads every file with its Content-Type and Cache-Control, and
invalidates the two files whose names never change. Files Vite names by their content hash
(``assets/index-3f9a1c2b.js``) are cached for a year as immutable; every other file is revalidated on
each load (``no-cache``: a 304 while unchanged), so no deploy ever leaves a browser on stale files.
Old hashed files are kept: a page loaded before the deploy may still ask for them.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "console" / "dist"
SAMCONFIG = ROOT / "samconfig.toml"
CONFIG_KEY = "config.json"
INDEX_KEY = "index.html"
#: What CloudFront must fetch again after a deploy: the two names that never change (and "/", which
#: CloudFront answers with index.html, the distribution's default root object).
INVALIDATED_PATHS = ("/", f"/{INDEX_KEY}", f"/{CONFIG_KEY}")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
#: Vite's build names every file it emits under assets/ ``<name>-<hash>.<ext>`` (8 url-safe characters).
_HASHED = re.compile(r"^assets/(?:.+/)?[^/]+-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$")
#: Types by suffix, fixed here rather than read from the machine's mime.types (which differ).
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
}
#: The stack outputs config.json is written from (template.yaml's Outputs).
_OUTPUTS = ("ApiUrl", "UserPoolId", "UserPoolClientId", "ConsoleBucketName", "ConsoleDistributionId")


def content_type(key: str) -> str:
    """The Content-Type S3 (and so CloudFront) serves a file with."""
    suffix = PurePosixPath(key).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    """A year for content-hashed build files; every other file is revalidated on each load."""
    return IMMUTABLE if _HASHED.match(key) else REVALIDATE


def console_config(outputs: Mapping[str, str], region: str) -> dict[str, str]:
    """The console's run-time settings (``/config.json``) from the stack's outputs."""
    return {
        "apiUrl": outputs["ApiUrl"].rstrip("/"),
        "region": region,
        "userPoolId": outputs["UserPoolId"],
        "userPoolClientId": outputs["UserPoolClientId"],
        "authFlow": "USER_SRP_AUTH",
    }


def stack_of(config_env: str = "default", samconfig: Path = SAMCONFIG) -> tuple[str, str]:
    """(stack name, region) of a samconfig.toml environment, as ``sam deploy --config-env`` reads them."""
    with samconfig.open("rb") as fh:
        config: dict[str, Any] = tomllib.load(fh)
    env = config.get(config_env)
    if not isinstance(env, dict):
        raise SystemExit(f"error: {samconfig.name} has no [{config_env}] environment")
    found: dict[str, str] = {}
    for command in ("global", "deploy"):  # a command's own parameters win over the global ones
        found.update(env.get(command, {}).get("parameters", {}))
    if "stack_name" not in found or "region" not in found:
        raise SystemExit(f"error: [{config_env}] in {samconfig.name} names no stack_name and region")
    return found["stack_name"], found["region"]


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key; an error naming what is missing if it predates the console's hosting."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in _OUTPUTS if key not in outputs]
    if missing:
        raise SystemExit(f"error: stack {stack_name} has no output {', '.join(missing)}: sam deploy it first")
    return outputs


def files_in_order(dist: Path) -> Iterator[tuple[Path, str]]:
    """(file, key) of every built file: hashed ones first, index.html last, so that a browser loading
    the page mid-deploy finds the files the new index.html names. A config.json in dist is skipped
    (the stack's is written instead)."""
    keys = {path.relative_to(dist).as_posix(): path for path in dist.rglob("*") if path.is_file()}
    keys.pop(CONFIG_KEY, None)
    for key in sorted(keys, key=lambda k: (k == INDEX_KEY, cache_control(k) != IMMUTABLE, k)):
        yield keys[key], key


def upload(s3: Any, bucket: str, dist: Path, config: Mapping[str, str]) -> list[str]:
    """Put config.json and every built file into the bucket; the keys, in the order they were put."""
    if not (dist / INDEX_KEY).is_file():
        raise SystemExit(
            f"error: no {dist / INDEX_KEY}: build the console first (npm --prefix console run build)"
        )
    put: list[str] = []

    def put_object(key: str, body: bytes) -> None:
        s3.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type(key), CacheControl=cache_control(key)
        )
        put.append(key)

    files = list(files_in_order(dist))
    for path, key in files[:-1]:
        put_object(key, path.read_bytes())
    put_object(CONFIG_KEY, json.dumps(dict(config), indent=2).encode())
    path, key = files[-1]  # index.html
    put_object(key, path.read_bytes())
    return put


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    """Ask CloudFront to fetch index.html and config.json again; the invalidation's id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(INVALIDATED_PATHS), "Items": list(INVALIDATED_PATHS)},
            "CallerReference": f"console-deploy-{uuid.uuid4()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def deploy(session: Any, stack_name: str, dist: Path = DIST) -> tuple[str, list[str], str]:
    """Publish ``dist`` to the stack's console: (its URL, the keys put, the invalidation's id)."""
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    config = console_config(outputs, session.region_name)
    keys = upload(session.client("s3"), outputs["ConsoleBucketName"], dist, config)
    invalidation = invalidate(session.client("cloudfront"), outputs["ConsoleDistributionId"])
    return outputs.get("ConsoleUrl", ""), keys, invalidation


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Publish console/dist to the stack's S3 bucket and CloudFront"
    )
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment (default, prod)")
    parser.add_argument("--dist", type=Path, default=DIST, help="the console's build (console/dist)")
    args = parser.parse_args(argv)
    import boto3

    stack_name, region = stack_of(args.config_env)
    url, keys, invalidation = deploy(boto3.Session(region_name=region), stack_name, args.dist)
    print(f"{len(keys)} files put for {stack_name} ({region}); CloudFront invalidation {invalidation}")
    print(f"console: {url}")


if __name__ == "__main__":
    main()
