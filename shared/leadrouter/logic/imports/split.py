"""The ``split`` stage: the uploaded file read once into chunk files, and the record ready for a mapping.

The uploaded file is copied to a temporary file (S3's stream cannot seek, an xlsx's zip must), hashed
(SHA-256) and read ONCE (``reading.read_table``) into chunk files of ``import_chunk_rows`` rows
(``imports/<tenant>/<id>/chunks/<n>.jsonl``: raw cells, dates as ISO). The record gets the headers, a
preview, the suggested (or remembered) mapping, and the row and chunk counts.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Any

from leadrouter.domain.files import Files
from leadrouter.domain.imports import PREVIEW_ROWS, ImportOrder, ImportStatus
from leadrouter.logic.imports import store
from leadrouter.logic.imports.columns import suggest_mapping
from leadrouter.logic.imports.orders import ImportRequests
from leadrouter.logic.imports.reading import UnreadableFile, cell_text, read_table
from leadrouter.logic.ports import Imports
from leadrouter.observability import logger


def split_file(
    repo: Imports, files: Files, queue: ImportRequests, order: ImportOrder, now: datetime, chunk_rows: int
) -> None:
    """Read the uploaded file once into chunk files; the record ready (or failed, with the reason)."""
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.READING:
        return
    with tempfile.TemporaryFile() as spool:
        sha256 = store.spooled(files, store.upload_key(record), spool)
        try:
            table = read_table(spool, record.file_name)
            preview: list[list[str | None]] = []
            total = chunks = 0
            batch: list[dict[str, Any]] = []
            for row in table.rows:
                if len(preview) < PREVIEW_ROWS:
                    preview.append([cell_text(c) for c in row.cells])
                batch.append({"row": row.number, "cells": list(row.cells)})
                total += 1
                if len(batch) == chunk_rows:
                    store.put_lines(files, store.chunk_key(record, chunks), batch)
                    chunks, batch = chunks + 1, []
            if batch:
                store.put_lines(files, store.chunk_key(record, chunks), batch)
                chunks += 1
        except UnreadableFile as unreadable:
            repo.set_import_status(
                record.tenant_id,
                record.import_id,
                expected=[ImportStatus.READING],
                status=ImportStatus.FAILED,
                at=now,
                fields={"error": unreadable.reason},
            )
            logger.warning("import file unreadable", extra={"import_id": record.import_id})
            return
    remembered = repo.get_import_mapping(record.tenant_id)
    if remembered is not None and set(remembered[0]) == set(table.headers):
        mapping: dict[str, Any] = remembered[1]
    else:
        mapping = suggest_mapping(table.headers).model_dump(mode="json")
    repo.file_first_read(record.tenant_id, sha256, now)
    repo.set_import_status(
        record.tenant_id,
        record.import_id,
        expected=[ImportStatus.READING],
        status=ImportStatus.READY,
        at=now,
        fields={
            "sha256": sha256,
            "headers": table.headers,
            "preview": preview,
            "total_rows": total,
            "chunk_count": chunks,
            "mapping": mapping,
        },
    )
    logger.info("import file read", extra={"import_id": record.import_id, "rows": total, "chunks": chunks})
