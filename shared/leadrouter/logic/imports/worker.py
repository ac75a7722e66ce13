"""The import worker: one ImportQueue message, its stage run (the stages and their order: ``orders``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from leadrouter.domain.files import Files
from leadrouter.domain.imports import ImportOrder, ImportStage
from leadrouter.logic.imports.check import check_chunk
from leadrouter.logic.imports.context import WorkPorts
from leadrouter.logic.imports.orders import ImportRequests
from leadrouter.logic.imports.reports import finish_import, report_check
from leadrouter.logic.imports.rows import import_chunk
from leadrouter.logic.imports.split import split_file
from leadrouter.observability import logger


@dataclass(frozen=True)
class _Run:
    """What a stage runs with: the stores, the queue, the clock and the worker's settings."""

    repo: WorkPorts
    files: Files
    queue: ImportRequests
    now: Callable[[], datetime]
    chunk_rows: int
    rows_per_second: float


#: Each stage's run, by the name its orders carry.
STAGES: Mapping[ImportStage, Callable[[_Run, ImportOrder], None]] = {
    "split": lambda run, order: split_file(run.repo, run.files, run.queue, order, run.now(), run.chunk_rows),
    "check": lambda run, order: check_chunk(run.repo, run.files, run.queue, order, run.now()),
    "report": lambda run, order: report_check(run.repo, run.files, order, run.now()),
    "rows": lambda run, order: import_chunk(
        run.repo, run.files, run.queue, order, run.now, run.rows_per_second
    ),
    "finish": lambda run, order: finish_import(run.repo, run.files, order, run.now()),
}


def handle_message(
    repo: WorkPorts,
    files: Files,
    queue: ImportRequests,
    body: str,
    now: Callable[[], datetime],
    *,
    chunk_rows: int,
    rows_per_second: float,
) -> None:
    """One ImportQueue message: its stage run. A body that is not an order is dropped (logged)."""
    try:
        order = ImportOrder.model_validate_json(body)
    except ValidationError:
        logger.error("import message unreadable; dropped")
        return
    STAGES[order.stage](_Run(repo, files, queue, now, chunk_rows, rows_per_second), order)
