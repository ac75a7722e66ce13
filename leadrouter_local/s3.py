"""The local S3 engine: the template's buckets, their objects on disk, multipart uploads, and the checks
S3 makes of a presigned POST's policy and a presigned URL's expiry.

Objects are files in a temporary directory (an uploaded list or an export may be large), one file per
version: a new write never disturbs a read in progress. Signatures are not verified (any credentials
sign here, as with the other emulators); a request with none at all is refused, as a private bucket
does. What the browser path relies on is checked as S3 checks it: the POST policy's expiry, its
conditions (exact key, bucket, ``starts-with``, no field it does not name) and its
``content-length-range``; a presigned URL's ``X-Amz-Date`` + ``X-Amz-Expires``. Time is the emulator's
``clock``, so a test can step past an expiry without sleeping.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

#: S3's smallest part, except the last (CompleteMultipartUpload refuses smaller ones).
MIN_PART_BYTES = 5 * 1024 * 1024
#: The longest a SigV4 presigned URL may live (seven days).
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
#: Form fields a POST policy need not name (S3 ignores ``x-ignore-*`` too).
UNSIGNED_FIELDS = {"policy", "x-amz-signature", "file", "awsaccesskeyid", "signature"}
_COPY_BUFFER = 1024 * 1024


class Readable(Protocol):
    """A request body or a spooled form part: read in chunks."""

    def read(self, size: int = -1, /) -> bytes: ...


class S3Error(Exception):
    """An error answer: S3's ``code``, ``message`` and HTTP status, and the extra elements it adds."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: str) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra


def no_such_key(key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def policy_refusal(reason: str) -> S3Error:
    return S3Error("AccessDenied", f"Invalid according to Policy: {reason}", 403)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str  # quoted, as S3 sends it
    content_type: str
    last_modified: float
    path: Path


@dataclass
class _Part:
    path: Path
    size: int
    etag: str


@dataclass
class _MultipartUpload:
    bucket: str
    key: str
    content_type: str
    parts: dict[int, _Part] = field(default_factory=dict)


class S3:
    """Buckets of objects kept in a temporary directory (removed by ``close``)."""

    def __init__(self, region: str, clock: Callable[[], float] = time.time) -> None:
        self.region, self.clock = region, clock
        self._dir = tempfile.TemporaryDirectory(prefix="leadrouter-s3-")
        self._root = Path(self._dir.name)
        self._buckets: dict[str, dict[str, StoredObject]] = {}
        self._uploads: dict[str, _MultipartUpload] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._dir.cleanup()

    # ------------------------------------------------------------ buckets and objects
    def create_bucket(self, name: str) -> str:
        """The bucket's ARN."""
        with self._lock:
            self._buckets.setdefault(name, {})
        return f"arn:aws:s3:::{name}"

    def _objects(self, bucket: str) -> dict[str, StoredObject]:
        found = self._buckets.get(bucket)
        if found is None:
            raise S3Error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)
        return found

    def head_bucket(self, bucket: str) -> None:
        with self._lock:
            self._objects(bucket)

    def open(self, bucket: str, key: str) -> tuple[StoredObject, BinaryIO]:
        """The object and its content, opened before a newer write can replace it."""
        with self._lock:
            stored = self._objects(bucket).get(key)
            if stored is None:
                raise no_such_key(key)
            return stored, stored.path.open("rb")

    def head(self, bucket: str, key: str) -> StoredObject:
        with self._lock:
            stored = self._objects(bucket).get(key)
        if stored is None:
            raise no_such_key(key)
        return stored

    def keys(self, bucket: str) -> list[str]:
        with self._lock:
            return sorted(self._objects(bucket))

    def put(self, bucket: str, key: str, body: Readable, length: int, content_type: str) -> StoredObject:
        """Store ``length`` bytes read from ``body`` at ``key`` (replacing what was there)."""
        self.head_bucket(bucket)  # a missing bucket is refused before the body is read
        path, digest = self._write(body, length)
        return self._commit(bucket, key, path, length, f'"{digest.hexdigest()}"', content_type)

    def delete(self, bucket: str, key: str) -> None:
        with self._lock:
            stored = self._objects(bucket).pop(key, None)
        if stored is not None:
            stored.path.unlink(missing_ok=True)  # a reader that has it open still reads it (POSIX)

    def _write(self, body: Readable, length: int) -> tuple[Path, Any]:
        path, digest, left = self._root / uuid.uuid4().hex, hashlib.md5(usedforsecurity=False), length
        with path.open("wb") as out:
            while left > 0:
                chunk = body.read(min(_COPY_BUFFER, left))
                if not chunk:
                    path.unlink()
                    raise S3Error("IncompleteBody", "You did not provide the number of bytes specified.")
                out.write(chunk)
                digest.update(chunk)
                left -= len(chunk)
        return path, digest

    def _commit(
        self, bucket: str, key: str, path: Path, size: int, etag: str, content_type: str
    ) -> StoredObject:
        stored = StoredObject(key, size, etag, content_type or "binary/octet-stream", self.clock(), path)
        with self._lock:
            previous = self._objects(bucket).get(key)
            self._objects(bucket)[key] = stored
        if previous is not None:
            previous.path.unlink(missing_ok=True)
        return stored

    # ------------------------------------------------------------ multipart uploads (upload_fileobj)
    def create_multipart(self, bucket: str, key: str, content_type: str) -> str:
        self.head_bucket(bucket)
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._uploads[upload_id] = _MultipartUpload(bucket, key, content_type)
        return upload_id

    def _upload(self, upload_id: str) -> _MultipartUpload:
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise S3Error("NoSuchUpload", "The specified upload does not exist.", 404, UploadId=upload_id)
        return upload

    def upload_part(self, upload_id: str, number: int, body: Readable, length: int) -> str:
        upload = self._upload(upload_id)
        if not 1 <= number <= 10_000:
            raise S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000.")
        path, digest = self._write(body, length)
        part = _Part(path, length, f'"{digest.hexdigest()}"')
        with self._lock:
            replaced = upload.parts.get(number)
            upload.parts[number] = part
        if replaced is not None:
            replaced.path.unlink(missing_ok=True)
        return part.etag

    def complete_multipart(self, upload_id: str, listed: list[tuple[int, str]]) -> StoredObject:
        upload = self._upload(upload_id)
        numbers = [n for n, _ in listed]
        if not listed or numbers != sorted(set(numbers)):
            raise S3Error("InvalidPartOrder", "The list of parts was not in ascending order.")
        parts = []
        for number, etag in listed:
            part = upload.parts.get(number)
            if part is None or part.etag != etag:
                raise S3Error("InvalidPart", "One or more of the specified parts could not be found.")
            parts.append(part)
        if any(p.size < MIN_PART_BYTES for p in parts[:-1]):
            raise S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        path, digests = self._root / uuid.uuid4().hex, b""
        with path.open("wb") as out:
            for part in parts:
                with part.path.open("rb") as source:
                    shutil.copyfileobj(source, out, _COPY_BUFFER)
                digests += binascii.unhexlify(part.etag.strip('"'))
        etag = f'"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"'
        stored = self._commit(
            upload.bucket, upload.key, path, sum(p.size for p in parts), etag, upload.content_type
        )
        self.abort_multipart(upload_id)
        return stored

    def abort_multipart(self, upload_id: str) -> None:
        with self._lock:
            upload = self._uploads.pop(upload_id, None)
        for part in upload.parts.values() if upload else ():
            part.path.unlink(missing_ok=True)


# ------------------------------------------------------------ what a signed request is allowed
def _amz_time(text: str) -> float:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()


def check_presigned_url(query: Mapping[str, str], now: float) -> None:
    """A presigned URL (``X-Amz-Signature`` in the query) is refused once ``X-Amz-Date`` +
    ``X-Amz-Expires`` has passed, as S3 refuses it: 403 AccessDenied, "Request has expired"."""
    try:
        signed_at, expires = _amz_time(query["X-Amz-Date"]), int(query["X-Amz-Expires"])
    except (KeyError, ValueError) as error:
        raise S3Error(
            "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be given.", 400
        ) from error
    if expires > MAX_PRESIGNED_SECONDS:
        raise S3Error(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )
    if now >= signed_at + expires:
        raise S3Error(
            "AccessDenied",
            "Request has expired",
            403,
            **{
                "X-Amz-Expires": str(expires),
                "Expires": datetime.fromtimestamp(signed_at + expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )


def check_post_policy(bucket: str, fields: Mapping[str, str], size: int, now: float) -> None:
    """Refuse a form POST as S3 does: no policy (an anonymous write to a private bucket), an expired
    policy, a field that fails a condition, a field no condition names, or a file outside the
    ``content-length-range``. ``fields`` are the form's fields before ``file`` (S3 ignores those after),
    their names in lower case."""
    if "policy" not in fields or "x-amz-signature" not in fields:
        raise S3Error("AccessDenied", "Access Denied", 403)
    try:
        policy = json.loads(base64.b64decode(fields["policy"], validate=True))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions: list[Any] = list(policy["conditions"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise S3Error("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from error
    if now >= expiration.timestamp():
        raise policy_refusal("Policy expired.")
    values = {**fields, "bucket": bucket}
    named: set[str] = set()
    size_range: tuple[int, int] | None = None
    for condition in conditions:
        if isinstance(condition, dict):
            ((name, expected),) = condition.items()
            operator, name = "eq", str(name).lower()
        elif condition[0] == "content-length-range":
            size_range = (int(condition[1]), int(condition[2]))
            continue
        else:
            operator, name, expected = str(condition[0]).lower(), str(condition[1]).lower(), condition[2]
            name = name.removeprefix("$")
        named.add(name)
        actual = values.get(name, "")
        if (operator == "eq" and actual != expected) or (
            operator == "starts-with" and not actual.startswith(str(expected))
        ):
            raise policy_refusal(f'Policy Condition failed: ["{operator}", "${name}", "{expected}"]')
    extra = sorted(
        n for n in fields if n not in named and n not in UNSIGNED_FIELDS and not n.startswith("x-ignore-")
    )
    if extra:
        raise policy_refusal(f"Extra input fields: {', '.join(extra)}")
    if size_range is not None and size > size_range[1]:
        raise S3Error(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=str(size),
            MaxSizeAllowed=str(size_range[1]),
        )
    if size_range is not None and size < size_range[0]:
        raise S3Error(
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            ProposedSize=str(size),
            MinSizeAllowed=str(size_range[0]),
        )
