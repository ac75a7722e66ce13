"""An import's files in the file store: where each lives, and how chunk and outcome files are written
and read back.

Under ``imports/<tenant>/<import id>/``: the upload (``upload.<ext>``), the chunks of the one read
(``chunks/<n>.jsonl``: raw cells, dates as ISO), each chunk's outcomes by stage (``check/<n>.jsonl``,
``rows/<n>.jsonl``), the staff e-mail digests of a keep_owner dry run and the reports. What imports of
a file (by content) did with its rows lives under ``imports/<tenant>/files/<sha256>/rows/``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any

from leadrouter.domain.files import Files, tenant_key
from leadrouter.domain.imports import Import

_JSONL = "application/x-ndjson"


# ------------------------------------------------------------------ keys
def key(record: Import, name: str) -> str:
    return tenant_key("imports", record.tenant_id, f"{record.import_id}/{name}")


def upload_key(record: Import) -> str:
    return key(record, "upload" + PurePosixPath(record.file_name).suffix.lower())


def chunk_key(record: Import, n: int) -> str:
    return key(record, f"chunks/{n}.jsonl")


def outcome_key(record: Import, stage: str, n: int) -> str:
    return key(record, f"{stage}/{n}.jsonl")


def file_rows_key(record: Import, n: int) -> str:
    """What imports of this file (by content) did with chunk ``n``'s rows: a re-upload's dry run reads it."""
    return tenant_key("imports", record.tenant_id, f"files/{record.sha256}/rows/{n}.jsonl")


# ------------------------------------------------------------------ files
def _cell_json(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def put_lines(files: Files, key: str, lines: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
    with tempfile.TemporaryFile() as spool:
        for line in lines:
            spool.write(json.dumps(line, default=_cell_json, ensure_ascii=False).encode() + b"\n")
        spool.seek(0)
        files.put(key, spool, content_type=_JSONL)


def read_all(files: Files, key: str) -> bytes:
    body = files.open(key)
    try:
        return body.read()
    finally:
        body.close()


def lines(files: Files, key: str) -> Iterator[dict[str, Any]]:
    """A chunk's lines (a chunk file is a few hundred rows: read whole, S3's stream has no lines)."""
    for raw in read_all(files, key).splitlines():
        if raw.strip():
            yield json.loads(raw)


def lines_if_any(files: Files, key: str) -> list[dict[str, Any]]:
    try:
        return list(lines(files, key))
    except FileNotFoundError:
        return []


def spooled(files: Files, key: str, spool: IO[bytes]) -> str:
    """Copy the stored object into ``spool`` (rewound); its SHA-256."""
    digest = hashlib.sha256()
    body = files.open(key)
    try:
        while block := body.read(1024 * 1024):
            digest.update(block)
            spool.write(block)
    finally:
        body.close()
    spool.seek(0)
    return digest.hexdigest()
