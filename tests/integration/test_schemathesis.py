"""Schemathesis against `make run`'s stack, fed the spec the stack serves (issue #7).

Every operation is fuzzed with all of Schemathesis' checks (examples, coverage, fuzzing and stateful
phases; at most ``MAX_EXAMPLES`` generated cases per operation), once as an admin and once as a
salesperson, with the form key on ``POST /intake/leads`` both times. Credentials are given per security
scheme, so Schemathesis also checks that each route refuses a request without them.

Asserted: no response ≥ 500 and no dropped connection (a request that got no HTTP answer), and no
function that failed behind the API (the emulator logs a traceback and answers 502 for those). The
other checks' findings (schema-valid requests the domain refuses, such as an unknown time zone or a
phone that is not one) are printed with the totals, not asserted: a schema cannot say everything.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack

#: Per operation and identity; with 26 operations and two identities this runs in about 2 minutes.
MAX_EXAMPLES = 50
SEED = 20270101
IDENTITIES = {"admin": "demo-admin", "staff": "demo-staff-a"}


@dataclass
class Totals:
    cases: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    dropped: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.responses.items() if status >= 500)

    def line(self, identity: str) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.responses.items()))
        findings = ", ".join(f"{k} {n}" for k, n in sorted(self.findings.items())) or "none"
        return (
            f"schemathesis as {identity}: {self.cases} cases, {sum(self.responses.values())} responses, "
            f"{self.server_errors} ≥ 500, {self.dropped} dropped; statuses {{{statuses}}}; "
            f"other checks' findings: {findings}"
        )


def _run(url: str, identity: str, token: str, workdir: Path) -> Totals:
    """One ``st run`` with ``token`` as the Cognito bearer, the demo form key as X-Form-Key and the
    demo source's secret as X-Source-Secret (so intake answers name the lead the links follow)."""
    config = workdir / f"{identity}.toml"
    config.write_text(
        f'[auth.openapi.cognito]\nbearer = "{token}"\n\n[auth.openapi.formKey]\napi_key = "{FORM_KEY}"\n'
        f'\n[auth.openapi.sourceSecret]\napi_key = "{SOURCE_SECRET}"\n',
        encoding="utf-8",
    )
    reports = workdir / identity
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",  # with 2, Schemathesis itself now and then failed a case ("Runtime Error" in its cache)
        "--request-timeout",
        "60",  # a slow answer on a busy machine is not a dropped connection
        "--report",
        "har,json",
        "--report-dir",
        str(reports),
    ]
    # its working directory gets Schemathesis' .schemathesis/ cache: keep it out of the work tree
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=workdir)
    json_reports = sorted(reports.glob("json-*.json"))
    har_reports = sorted(reports.glob("har-*.json"))
    assert json_reports and har_reports, finished.stdout[-3000:] + finished.stderr[-3000:]
    report: dict[str, Any] = json.loads(json_reports[-1].read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = json.loads(har_reports[-1].read_text(encoding="utf-8"))["log"]["entries"]
    totals = Totals(cases=int(report["test_cases"]["generated"]))
    for entry in entries:
        status = int((entry.get("response") or {}).get("status") or 0)
        if status == 0:
            totals.dropped += 1
        else:
            totals.responses[status] += 1
    for finding in report["failures"]:
        totals.findings[f"{finding['code']} {finding['title']}"] += int(finding["count"])
    # errors are requests Schemathesis could not complete: connection refused, reset or timed out
    totals.errors = [json.dumps(error, default=str)[:500] for error in report["errors"]]
    if totals.errors:  # the report says only the title: keep what the run printed about each one
        printed = finished.stdout
        totals.errors.append(
            printed[printed.find("ERRORS") :][:4000] if "ERRORS" in printed else printed[-4000:]
        )
    totals.dropped += len(report["errors"])
    return totals


def test_schemathesis_finds_no_server_error_and_no_dropped_connection(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Given make run's stack with its demo tenant, sweeping every 2 seconds while it is fuzzed
    port = local_stack.free_port()
    url = f"http://127.0.0.1:{port}"
    process = local_stack.start(port, "--schedule-seconds", "2")
    results: dict[str, Totals] = {}
    try:
        local_stack.wait_ready(process, url)
        # When Schemathesis fuzzes every operation of the served spec as an admin, then as staff
        for identity, token in IDENTITIES.items():
            results[identity] = _run(url, identity, token, tmp_path)
    finally:
        output = local_stack.stop(process)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    assert capture is not None
    with capture.global_and_fixture_disabled():  # the totals are for the person running make test
        for identity, totals in results.items():
            print("\n" + totals.line(identity), flush=True)
    # Then nothing answered ≥ 500, every request got an answer, and no function failed behind the API
    for identity, totals in results.items():
        assert totals.cases > 0, identity
        assert totals.server_errors == 0, totals.line(identity)
        assert totals.dropped == 0, (totals.line(identity), totals.errors)
    failed = [line for line in output.splitlines() if re.search(r"→ 5\d\d|failed:|Traceback", line)]
    assert failed == [], "\n".join(failed[:20])
