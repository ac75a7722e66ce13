"""The closing stages: a report of every chunk's outcomes, in row order, and the record's counts made
exact.

* ``report`` (after the dry run): the chunks' outcomes in row order, a row with the phone or email of an
  earlier row linked to it, into ``check-report.csv`` (UTF-8 with BOM, for Excel); the record says
  checked.
* ``finish`` (after the import): ``import-report.csv`` from the chunks' outcomes; the record says done.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime

from leadrouter.domain.files import Files
from leadrouter.domain.imports import Import, ImportOrder, ImportStatus
from leadrouter.logic.imports import store
from leadrouter.logic.imports.outcomes import Outcome, Report, linked_within_file
from leadrouter.logic.ports import Imports
from leadrouter.observability import logger

_CSV = "text/csv; charset=utf-8"


def _report(
    repo: Imports,
    files: Files,
    record: Import,
    stage: str,
    name: str,
    expected: ImportStatus,
    status: ImportStatus,
    now: datetime,
) -> None:
    """Every chunk's outcomes in row order into the report file; the record's counts made exact."""
    key = store.key(record, name)

    def outcomes() -> Iterator[Outcome]:
        for n in range(record.chunk_count):
            yield from (Outcome.of(line) for line in store.lines(files, store.outcome_key(record, stage, n)))

    with tempfile.TemporaryFile() as spool:
        report = Report(spool)
        rows = linked_within_file(outcomes()) if stage == "check" else outcomes()
        for outcome in rows:
            report.add(outcome)
        report.close()
        spool.seek(0)
        files.put(key, spool, content_type=_CSV)
    counts_field = "checked" if stage == "check" else "imported"
    repo.set_import_status(
        record.tenant_id,
        record.import_id,
        expected=[expected],
        status=status,
        at=now,
        fields={
            counts_field: report.counts(record.chunk_count).model_dump(),
            "problems": [p.model_dump() for p in report.problems],
            "report_key": key,
        },
    )


def report_check(repo: Imports, files: Files, order: ImportOrder, now: datetime) -> None:
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.CHECKING:
        return
    _report(
        repo, files, record, "check", "check-report.csv", ImportStatus.CHECKING, ImportStatus.CHECKED, now
    )


def finish_import(repo: Imports, files: Files, order: ImportOrder, now: datetime) -> None:
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.IMPORTING:
        return
    _report(repo, files, record, "rows", "import-report.csv", ImportStatus.IMPORTING, ImportStatus.DONE, now)
    logger.info("import done", extra={"import_id": record.import_id})
