"""The tenants' files on S3 (FilesBucket): signed form uploads, signed downloads, streamed reads and writes.

The browser posts a file straight to S3 with a presigned POST whose policy pins the key and bounds the
size (``content-length-range``), so S3 refuses a wrong key or a larger file before anything is stored.
Downloads are presigned GETs that name the file as the user saves it (RFC 6266, with the RFC 5987
``filename*`` so a Vietnamese name survives). The client comes from ``runtime.files`` (SigV4, the
regional virtual-hosted endpoint on AWS, path style on the local stack).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, BinaryIO, cast
from urllib.parse import quote

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from leadrouter.clock import utc_now
from leadrouter.domain.files import Upload

#: A made export goes up in 16 MiB parts (S3 allows 10,000 parts: files up to ~156 GiB), 4 at a time.
EXPORT_TRANSFER = TransferConfig(
    multipart_threshold=16 * 1024**2, multipart_chunksize=16 * 1024**2, max_concurrency=4
)

#: What S3 answers for a key with nothing stored: HeadObject has no body, so only its status says it.
_ABSENT = {"404", "NoSuchKey", "NotFound"}


def content_disposition(filename: str) -> str:
    """``attachment`` saved as ``filename``: an ASCII fallback for old clients, then the exact UTF-8 name
    (``Khách hàng Đà Nẵng.xlsx``: ``filename="Khach hang Da Nang.xlsx"; filename*=UTF-8''Kh%C3%A1ch…``).
    """
    # NFKD splits the tone marks off their letters; Đ/đ are letters of their own, with no decomposition
    plain = unicodedata.normalize("NFKD", filename.replace("Đ", "D").replace("đ", "d"))
    fallback = plain.encode("ascii", "ignore").decode("ascii").replace("\\", "_").replace('"', "_")
    fallback = "".join(c for c in fallback if c.isprintable()) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _absent(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _ABSENT


class S3Files:
    """``domain.files.Files`` on one S3 bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client  # S3, from runtime.files
        self.bucket = bucket

    def upload(self, key: str, *, max_bytes: int, expires_in: int) -> Upload:
        # boto3 adds the exact {"key": key} and {"bucket": ...} conditions; S3 also refuses any form
        # field the policy does not name, so the browser sends exactly ``fields`` and then ``file``.
        expires_at = utc_now() + timedelta(seconds=expires_in)
        post = self._client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        fields = {str(k): str(v) for k, v in post["fields"].items()}
        return Upload(url=post["url"], fields=fields, expires_at=expires_at, max_bytes=max_bytes)

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": content_disposition(filename),
                },
                ExpiresIn=expires_in,
            )
        )

    def size(self, key: str) -> int | None:
        # A missing key is a 404 only to a caller allowed s3:ListBucket (a 403 otherwise): the template
        # grants it, so a 403 here is a real refusal and is raised.
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _absent(error):
                return None
            raise
        return int(head["ContentLength"])

    def open(self, key: str) -> BinaryIO:
        """The object's body as S3 streams it: read it through once (it cannot seek; spool it to a
        temporary file first for a reader that seeks, such as an xlsx's zip)."""
        try:
            found = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _absent(error):
                raise FileNotFoundError(key) from error
            raise
        return cast(BinaryIO, found["Body"])

    def put(self, key: str, body: BinaryIO, *, content_type: str) -> None:
        # upload_fileobj sends a large body as a multipart upload (parts retried on their own, aborted
        # on failure) and a small one as one PutObject
        self._client.upload_fileobj(
            body, self.bucket, key, ExtraArgs={"ContentType": content_type}, Config=EXPORT_TRANSFER
        )

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def keys(self, prefix: str) -> Iterator[str]:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for found in page.get("Contents", []):
                yield str(found["Key"])
