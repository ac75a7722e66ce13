"""A tenant's private files: customer lists uploaded for import and the lead exports made for download.

Files go straight between the browser and the store (S3 in production, the local stack's emulation in
``make run``) through short-lived signed URLs, so a file far beyond API Gateway's 10 MB body limit never
passes through a Lambda's request. Keys always start with the tenant's prefix (``tenant_key``): a key is
never built from what a request names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Literal, Protocol

#: What a tenant's files are for; each kind expires on its own schedule (the bucket's lifecycle rules).
FileKind = Literal["imports", "exports", "erasures"]


def tenant_key(kind: FileKind, tenant_id: str, name: str) -> str:
    """The store key of a tenant's file: ``<kind>/<tenant>/<name>`` (``name`` is chosen by the system)."""
    return f"{kind}/{tenant_id}/{name}"


@dataclass(frozen=True)
class Upload:
    """A signed form upload: the browser POSTs ``fields`` and then the file (field ``file``) to ``url``.

    A form upload rather than a signed PUT, because its policy bounds the size (``max_bytes``) and pins
    the key: the store refuses a larger file before it is written.
    """

    url: str
    fields: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None
    max_bytes: int = 0


class Files(Protocol):
    """The store of a tenant's files."""

    def upload(self, key: str, *, max_bytes: int, expires_in: int) -> Upload:
        """A signed upload of at most ``max_bytes`` to ``key``, valid ``expires_in`` seconds."""
        ...

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        """A signed GET of ``key`` that saves as ``filename``, valid ``expires_in`` seconds."""
        ...

    def size(self, key: str) -> int | None:
        """The stored object's size in bytes, or None when nothing is stored at ``key``."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored object as a readable (streamed) binary file; FileNotFoundError when absent."""
        ...

    def put(self, key: str, body: BinaryIO, *, content_type: str) -> None:
        """Store ``body`` (a seekable binary file, streamed) at ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (nothing happens when it is absent)."""
        ...


class ListedFiles(Files, Protocol):
    """The store of a tenant's files, listed too: an erasure looks through every file of a tenant."""

    def keys(self, prefix: str) -> Iterator[str]:
        """Every stored key that starts with ``prefix``, in key order."""
        ...
