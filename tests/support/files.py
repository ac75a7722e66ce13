"""An in-memory ``Files`` (``domain.files``): a dict of key → bytes, and fake signed URLs naming the key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import quote

from leadrouter.domain.files import Upload


@dataclass
class MemoryFiles:
    """What the store holds (``objects``), with each put's content type, and every put in order."""

    objects: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    puts: list[str] = field(default_factory=list)
    #: Set to make the next ``put`` raise it (a store that fails once).
    fail_next_put: Exception | None = None

    def upload(self, key: str, *, max_bytes: int, expires_in: int) -> Upload:
        return Upload(url=f"memory://upload/{quote(key)}", fields={"key": key}, max_bytes=max_bytes)

    def download_url(self, key: str, *, filename: str, expires_in: int) -> str:
        return f"memory://{quote(key)}?filename={quote(filename)}&expires_in={expires_in}"

    def size(self, key: str) -> int | None:
        found = self.objects.get(key)
        return None if found is None else len(found)

    def open(self, key: str) -> BinaryIO:
        if key not in self.objects:
            raise FileNotFoundError(key)
        return io.BytesIO(self.objects[key])

    def put(self, key: str, body: BinaryIO, *, content_type: str) -> None:
        if self.fail_next_put is not None:
            error, self.fail_next_put = self.fail_next_put, None
            raise error
        self.objects[key] = body.read()
        self.content_types[key] = content_type
        self.puts.append(key)

    def keys(self, prefix: str) -> Iterator[str]:
        yield from sorted(k for k in self.objects if k.startswith(prefix))

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)
        self.content_types.pop(key, None)
