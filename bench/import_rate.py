"""The customer-list import, measured: rows per second and DynamoDB units per row for a 10,000-row file.

    PYTHONPATH=shared:. .venv/bin/python bench/import_rate.py --rows 10000

The path is production's: the file is POSTed to the local stack's S3 through a signed form upload, then
ImportQueue's messages are handed one at a time to the import worker's real handler (as its event source
mapping would, one chunk of 500 rows per invocation) until the queue is empty, stage by stage: split
(one read of the file into chunks), the dry run (check, report) and the import (rows, finish). DynamoDB
Local runs in its default mode (tables on disk, not ``-inMemory``). The pace is off
(``IMPORT_ROWS_PER_SECOND=0``), so the figure is what one worker can do; on AWS the template paces each
of its at most 2 workers to 60 rows/s to leave the tenant's partition to live intake (the module
docstring of the import's rows stage has the arithmetic). Every DynamoDB request carries
``ReturnConsumedCapacity`` (``bench/intake_cost.py``'s meter).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "leadrouter-bench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")

import boto3  # noqa: E402
import requests  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from bench.intake_cost import Meter  # noqa: E402
from bench.local import TENANT, point_at, seed_rule  # noqa: E402
from leadrouter import runtime  # noqa: E402
from leadrouter.domain.forms import FormSource  # noqa: E402
from leadrouter.domain.imports import Import, ImportMode, ImportOptions  # noqa: E402
from leadrouter.domain.users import Caller  # noqa: E402
from leadrouter.logic.imports import steps  # noqa: E402
from leadrouter.logic.imports.columns import ColumnMapping  # noqa: E402
from leadrouter_local.aws_endpoint import AwsEmulator  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from leadrouter_local.template import load_template  # noqa: E402
from tests.support.lambda_context import FakeContext  # noqa: E402
from tests.support.webhooks import sqs_event  # noqa: E402

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="bench-admin")
SOURCE = FormSource(tenant_id=TENANT, source_id="excel", name="Danh sách Excel", pool="web")
HEADERS = ["Họ tên", "SĐT", "Email", "Ghi chú"]
#: A form lead with a phone costs 4 WRU (bench/intake_cost.py).
FORM_LEAD_WRU = 4.0
#: The template's settings on AWS.
AWS_CHUNK_ROWS, AWS_WORKERS, AWS_PACE = 500, 2, 60


def customer_list(rows: int) -> bytes:
    """``rows`` customers, phones as Excel keeps them (numbers that lost their 0), 1 in 10 with an email."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for i in range(rows):
        email = f"khach{i}@congty.vn" if i % 10 == 0 else None
        sheet.append([f"Khách hàng {i}", 912_000_000 + i, email, "nhập từ Excel"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def drain(sqs: Any, queue_url: str) -> int:
    """ImportQueue's messages handed to the worker one at a time (one per invocation), until none is left."""
    from functions.lead_import import app

    handled = 0
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
        messages = got.get("Messages", [])
        if not messages:
            return handled
        answer = app.handler(sqs_event(messages, "ImportQueue"), FakeContext(function_name="lead-import"))
        if answer["batchItemFailures"]:
            raise SystemExit(f"a chunk failed: {answer}")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        handled += 1


def timed(meter: Meter, step: Callable[[], Any]) -> tuple[float, float, float, int]:
    """Seconds, WRU, RRU and DynamoDB calls of ``step``."""
    before = (sum(meter.tally.wru.values()), sum(meter.tally.rru.values()), meter.tally.calls)
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    t = meter.tally
    return seconds, sum(t.wru.values()) - before[0], sum(t.rru.values()) - before[1], t.calls - before[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    content = customer_list(args.rows)
    with tempfile.TemporaryDirectory() as data_dir, DynamoDBLocal(data_dir=Path(data_dir)) as ddb:
        point_at(ddb)
        emulator = AwsEmulator(load_template(), log=lambda _: None)
        emulator.start()
        try:
            os.environ.update(emulator.environment())
            os.environ.update(
                {
                    "IMPORT_QUEUE_URL": emulator.refs["ImportQueue"],
                    "IMPORT_CHUNK_ROWS": str(AWS_CHUNK_ROWS),
                    "IMPORT_ROWS_PER_SECOND": "0",
                }
            )
            repo = runtime.repository()
            seed_rule(repo)
            repo.put_form_source(SOURCE, "0" * 64)
            sqs, queue_url = boto3.client("sqs"), emulator.refs["ImportQueue"]
            files, queue = runtime.files(), runtime.import_queue()
            tables = {var: value for var, value in os.environ.items() if var.endswith("_TABLE")}
            meter = Meter({_logical(var): name for var, name in tables.items()})
            with meter.installed():
                name = "khach-hang.xlsx"
                record, upload = steps.create_import(repo, files, ADMIN, name, len(content), _now())
                posted = requests.post(
                    upload.url, data=upload.fields, files={"file": (name, content)}, timeout=60
                )
                posted.raise_for_status()
                import_id = record.import_id

                def split() -> None:
                    steps.mark_uploaded(repo, files, queue, ADMIN, import_id, _now())
                    drain(sqs, queue_url)

                def check() -> None:
                    mapping = ColumnMapping.model_validate(_record(repo, import_id).mapping)
                    options = ImportOptions(source_id=SOURCE.source_id, mode=ImportMode.ROTATION)
                    steps.request_check(repo, files, queue, ADMIN, import_id, mapping, options, {}, _now())
                    drain(sqs, queue_url)

                def rows() -> None:
                    steps.start_import(repo, queue, ADMIN, import_id, _now())
                    drain(sqs, queue_url)

                stages = {"split (one read into chunks)": split, "dry run": check, "import": rows}
                measured = {name: timed(meter, step) for name, step in stages.items()}
            done = _record(repo, import_id)
        finally:
            emulator.stop()
    print(report(args.rows, len(content), measured, done))


def _logical(var: str) -> str:
    return "".join(part.capitalize() for part in var.split("_"))


def _now() -> Any:
    from leadrouter.clock import utc_now

    return utc_now()


def _record(repo: Any, import_id: str) -> Import:
    found: Import | None = repo.get_import(TENANT, import_id)
    assert found is not None
    return found


def report(rows: int, size: int, measured: dict[str, tuple[float, float, float, int]], done: Import) -> str:
    created = done.imported.created
    lines = [
        f"### Import of a {rows:,}-row .xlsx ({size / 1024:,.0f} KB) on the local stack, one worker, no pace",
        "",
        f"Imported: {created:,} created of {rows:,} rows (status {done.status.value}).",
        "",
        "| stage | seconds | rows/s | WRU/row | RRU/row | DynamoDB calls/row |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (seconds, wru, rru, calls) in measured.items():
        lines.append(
            f"| {name} | {seconds:.1f} | {rows / seconds:,.0f} | {wru / rows:.2f} | {rru / rows:.2f} "
            f"| {calls / rows:.2f} |"
        )
    seconds, wru, _, _ = measured["import"]
    per_row = wru / rows
    paced = AWS_WORKERS * AWS_PACE
    lines += [
        "",
        f"A form lead costs {FORM_LEAD_WRU:.0f} WRU; an imported row {per_row:.2f} WRU.",
        f"A 1,000,000-row file on AWS at the template's settings: {1_000_000 // AWS_CHUNK_ROWS:,} chunks of "
        f"{AWS_CHUNK_ROWS}; {AWS_WORKERS} workers × {AWS_PACE} rows/s = {paced} rows/s → "
        f"{1_000_000 / paced / 3600:.1f} h, {paced * per_row:.0f} WCU/s of the partition's 1,000 "
        f"({1_000_000 * per_row / 1e6:.2f} M WRU in all). Unpaced, one worker did "
        f"{rows / seconds:,.0f} rows/s here (its {AWS_PACE} rows/s pace is the bound where it is faster).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
