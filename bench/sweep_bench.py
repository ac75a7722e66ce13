"""Assignment and intake throughput on DynamoDB Local (AWS's emulator; moto is not atomic).

    make bench            # or: PYTHONPATH=shared:. .venv/bin/python bench/sweep_bench.py --leads 5000

Numbers are for this machine and DynamoDB Local, which is slower per call than DynamoDB itself;
they show scaling and relative cost, not AWS latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from bench.local import point_at, seed_rule  # noqa: E402
from leadrouter.domain.forms import FormSource  # noqa: E402
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead  # noqa: E402
from leadrouter.logic.routing.assign import sweep_due_leads  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from tests.support.builders import add_leads  # noqa: E402
from tests.support.ticks import run_sweeps  # noqa: E402

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--intake", type=int, default=300)
    args = parser.parse_args()
    with DynamoDBLocal() as ddb:
        repo = new_repository(point_at(ddb))
        seed_rule(repo)
        add_leads(repo, args.leads, received_at=NOW, tenant_id="bench")
        started = time.perf_counter()
        report = run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), timedelta(minutes=3))
        sweep_s = time.perf_counter() - started
        owners = Counter(x.owner for x in repo.tenant_leads("bench"))
        sweep = report.swept[0]

        source = FormSource(tenant_id="bench", source_id="f", name="f", pool="intake", rate_per_minute=6000)
        latencies = []
        for i in range(args.intake):
            request = IntakeRequest(name=f"Lead {i}", phone=f"09{i:08d}")
            t0 = time.perf_counter()
            submit_lead(repo, source, request, datetime.now(UTC))
            latencies.append((time.perf_counter() - t0) * 1000)
    result = {
        "leads": args.leads,
        "sweep_seconds": round(sweep_s, 2),
        "leads_assigned_per_second": round(sweep.assigned / sweep_s, 1),
        "slot_claims (one ADD per page of 100)": sweep.slots_claimed // 100 + (sweep.slots_claimed % 100 > 0),
        "counts": dict(sorted(owners.items())),
        "ideal": {s: round(args.leads * w / 12, 1) for s, w in zip("ABC", (3, 4, 5), strict=True)},
        "intake_calls": args.intake,
        "intake_ms_median": round(statistics.median(latencies), 1),
        "intake_ms_p95": round(statistics.quantiles(latencies, n=20)[-1], 1),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
