"""Schemathesis against `make run`'s stack, fed the spec the stack serves.

Every operation is fuzzed with all of Schemathesis' checks (examples, coverage, fuzzing and stateful
phases; at most ``MAX_EXAMPLES`` generated cases per operation, seed ``SEED``), once as an admin and once
as a salesperson, with the form key on ``POST /intake/leads`` both times. Credentials are given per
security scheme, so Schemathesis also checks that each route refuses a request without them.

Asserted: no response ≥ 500 and no dropped connection (a request that got no HTTP answer), no function
that failed behind the API (the emulator logs a traceback and answers 502 for those), and the contract
says what the server does: no schema-valid request refused (``positive_data_acceptance``) and no status
the spec does not document (``status_code_conformance``), except the findings listed in ``BY_DESIGN``,
each with the reason the spec cannot say it. The other checks' findings are printed with the totals.
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
from urllib.parse import urlsplit

import pytest
import yaml

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack

#: Per operation and identity; with 43 operations and two identities this runs
#: in about 3 minutes on 2 cores.
MAX_EXAMPLES = 20
SEED = 1
IDENTITIES = {"admin": "demo-admin", "staff": "demo-staff-a"}
#: The checks whose findings fail the run: the spec must admit every request the server takes, and
#: name every status it answers.
ASSERTED = ("positive_data_acceptance", "status_code_conformance")

#: Refusals of schema-valid requests that stay by design: (operation, the field the 422 names) → why
#: OpenAPI cannot say it. A finding is by design only if every field its answer names is listed here.
_CURSOR = "a cursor is opaque: only the one the previous page of the same listing returned is valid"
_ORDER = "an end must come after its start: a comparison of two values, which a schema cannot state"
_EXISTS = "must name something that exists in the tenant: the spec states the id's shape, not the data"
_STORED = "depends on what is stored (the lead, the submission, the source's settings), not the request"
_FORM = "which fields carry name, phone and email is the source's field_map, set by its admin"
BY_DESIGN: dict[tuple[str, str], str] = {
    ("GET /leads", "cursor"): _CURSOR,
    ("GET /leads/exports", "cursor"): _CURSOR,
    ("GET /intake/submissions", "cursor"): _CURSOR,
    ("GET /webhooks/{webhook_id}/deliveries", "cursor"): _CURSOR,
    ("GET /privacy/audit", "cursor"): _CURSOR,
    ("GET /leads", "received_to"): _ORDER,
    ("POST /leads/exports", "received_to"): _ORDER,
    # a mapping names the file's columns: which carries the phone or the email is a value of an object
    # whose keys are the file's headers, and no schema keyword requires a value among an object's values
    ("POST /imports/{import_id}/check", "mapping"): "a mapping names a phone or an email column",
    ("GET /reports/distribution", "received_to"): f"{_ORDER} (and at most 92 days later)",
    ("POST /staff", r"working_hours\.\d+\.end"): _ORDER,
    ("PATCH /staff/{staff_id}", r"working_hours\.\d+\.end"): _ORDER,
    ("POST /rules", r"window\.end"): _ORDER,
    ("PUT /rules/{rule_id}", r"window\.end"): _ORDER,
    ("POST /rules/preview", r"window\.end"): _ORDER,
    # a rule's staff exist, appear once (uniqueItems compares whole items, not their staff_id) and their
    # weights make a cycle of at most 5,000 slots (a sum over the list divided by the weights' gcd)
    ("POST /rules", r"staff(\.\d+\.staff_id)?"): _EXISTS,
    ("PUT /rules/{rule_id}", r"staff(\.\d+\.staff_id)?"): _EXISTS,
    ("POST /rules/preview", r"staff(\.\d+\.staff_id)?|owner"): _EXISTS,
    ("POST /leads/{lead_id}/assignees", r"staff_ids\.\d+"): f"{_EXISTS} (and is active)",
    ("PUT /settings/alerts", r"webhook_ids(\.\d+)?"): _EXISTS,
    # a user's staff_id names a staff member of the tenant, and role staff needs one (two fields)
    ("POST /users", "staff_id"): _EXISTS,
    ("PATCH /users/{username}", "staff_id"): _EXISTS,
    ("PUT /settings/alerts", "emails"): "addresses that differ only in case are the same address",
    ("PUT /holidays", r"added\.\d+\.day"): "one entry per day: uniqueItems compares whole entries, not days",
    ("POST /webhooks", "body"): f"at most 20 webhooks per tenant: {_STORED}",
    ("PATCH /leads/{lead_id}", "phone"): f"a lead keeps a phone or an email: {_STORED}",
    ("POST /intake/submissions/{submission_id}/replay", r"(?!submission_id$).+"): _STORED,
    ("PATCH /form-sources/{source_id}", r"web_form\.captcha\.secret"): (
        f"a CAPTCHA needs its provider's secret, sent now or kept from before: {_STORED}"
    ),
    ("POST /intake/leads", "Idempotency-Key"): f"a key already used with other content: {_STORED}",
    ("POST /intake/leads", "submission_id"): f"an id already used with other content: {_STORED}",
    ("POST /form-sources", "platform"): (
        "a source's platform settings are its kind's (the kind is another field of the body)"
    ),
    ("PATCH /form-sources/{source_id}", "platform"): (
        f"a source's platform settings are its kind's, and the kind is the stored source's: {_STORED}"
    ),
    **{
        (operation, r"platform\.json_webhook\.mapping(\..+)?"): (
            "each expression must compile as JMESPath, attribution keys are the touch's fields, and "
            "phone or email must be mapped: a grammar and a rule across fields a schema cannot state"
        )
        for operation in ("POST /form-sources", "PATCH /form-sources/{source_id}")
    },
    **{
        (operation, r"platform\.ladipage\.api_key_header"): (
            "a header the service keeps with each delivery (user-agent …) cannot carry the key"
        )
        for operation in ("POST /form-sources", "PATCH /form-sources/{source_id}")
    },
    ("POST /intake/leads", "step"): f"one of the source's steps: {_STORED}",
    ("POST /intake/leads", r"name|phone|email"): _FORM,
    # a NUL anywhere in the body (a free-form field's value too) is refused whole, before it is parsed;
    # the generated schema does not yet exclude it from every string (a spec gap, not a server one)
    ("POST /intake/leads", "body"): "a body holding a NUL character is refused as sent",
    ("POST /f/{form_key}", "step"): f"one of the source's steps: {_STORED}",
    ("POST /f/{form_key}", r"name|phone|email"): _FORM,
    # a phone or an e-mail names the person; corrections belong to correct requests, a processor's stop
    # deadline to restrict and object; a request is not received in the future
    ("POST /privacy/requests", r"phone|email|corrections(\..+)?|processor_must_stop|received_at"): (
        "rules across fields (and the clock) that a schema cannot state"
    ),
    ("POST /privacy/requests/{request_id}/complete", r"refusal|lift"): (
        f"a refusal names its reason and only restrict or object can be lifted: {_STORED}"
    ),
    # calling hours end after they start, attribution is kept no longer than its lead; a notice's text
    # changes only with a new version (the archive holds the old words), and a purpose appears once
    ("PUT /privacy/settings", r"calling_hours(\..+)?|retention(\..+)?"): _ORDER,
    ("PUT /privacy/settings", r"purposes(\.\d+\.(key|notice_text|notice_version))?"): (
        f"a purpose appears once and its notice's words change only with its version: {_STORED}"
    ),
    # answers name the tenant's own purposes and the notice versions it archived; a grant names the
    # version shown, hours go with a granted call, a withdrawal names no notice (rules across fields)
    ("POST /intake/leads", r"consents(\..+)?"): f"the tenant's purposes and notice versions: {_STORED}",
    ("POST /leads/{lead_id}/consents", r"purpose|notice_version|agreed_hours"): (
        f"the tenant's purposes and notice versions, and rules across fields: {_STORED}"
    ),
}


@dataclass
class Totals:
    cases: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    dropped: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    #: Findings of the ``ASSERTED`` checks: those not by design (each described once), and the rest.
    contract: dict[str, str] = field(default_factory=dict)
    by_design: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.responses.items() if status >= 500)

    def line(self, identity: str) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.responses.items()))
        findings = ", ".join(f"{k} {n}" for k, n in sorted(self.findings.items())) or "none"
        by_design = sum(self.by_design.values())
        return (
            f"schemathesis as {identity}: {self.cases} cases, {sum(self.responses.values())} responses, "
            f"{self.server_errors} ≥ 500, {self.dropped} dropped; statuses {{{statuses}}}; "
            f"contract findings: {len(self.contract)} kinds not by design, {by_design} cases by design "
            f"({len(self.by_design)} kinds); all checks' findings: {findings}"
        )


class Operations:
    """Which documented operation a recorded request was (the cassette has only its URL)."""

    def __init__(self, document: dict[str, Any]) -> None:
        templates = sorted(document["paths"], key=lambda path: (path.count("{"), path))
        self._paths = [
            (template, re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"))
            for template in templates
        ]
        self._methods = {path: set(item) for path, item in document["paths"].items()}

    def of(self, method: str, uri: str) -> str:
        path = urlsplit(uri).path
        for template, shape in self._paths:
            if shape.match(path) and method.lower() in self._methods[template]:
                return f"{method.upper()} {template}"
        return f"{method.upper()} {path} (undocumented)"


def _fields(body: str) -> list[str]:
    """The fields a refusal names (``errors[].field``), or ``body`` if it names none."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ["body"]
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return sorted({str(e.get("field")) for e in errors or [] if isinstance(e, dict)}) or ["body"]


def _by_design(operation: str, field_name: str) -> tuple[str, str] | None:
    """The ``BY_DESIGN`` entry that explains a refusal naming ``field_name``, if any."""
    return next(
        (
            (op, pattern)
            for (op, pattern) in BY_DESIGN
            if op == operation and re.fullmatch(pattern, field_name)
        ),
        None,
    )


def _judge(totals: Totals, operations: Operations, interaction: dict[str, Any]) -> None:
    """File each ``ASSERTED`` failure of one recorded request as by design or as a contract finding."""
    failed = [c["name"] for c in interaction.get("checks") or [] if c.get("status") == "FAILURE"]
    asserted = [name for name in failed if name in ASSERTED]
    if not asserted:
        return
    request, response = interaction["request"], interaction["response"]
    operation = operations.of(request["method"], request["uri"])
    status = int(response["status"]["code"])
    body = str((response.get("body") or {}).get("string") or "")
    for check in asserted:
        if check == "positive_data_acceptance" and status == 422:
            fields = _fields(body)
            reasons = [_by_design(operation, name) for name in fields]
            if all(reasons):
                totals.by_design.update({reason for reason in reasons if reason})
                continue
            key = f"{check}: {operation} → {status} naming {', '.join(fields)}"
        else:
            key = f"{check}: {operation} → {status}"
        totals.contract.setdefault(
            key, f"{key}\n    {request['method']} {request['uri'][:300]}\n    {body[:400]}"
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
        "vcr,json",
        "--report-dir",
        str(reports),
    ]
    # its working directory gets Schemathesis' .schemathesis/ cache: keep it out of the work tree
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=workdir)
    json_reports = sorted(reports.glob("json-*.json"))
    cassettes = sorted(reports.glob("vcr-*.yaml"))
    assert json_reports and cassettes, finished.stdout[-3000:] + finished.stderr[-3000:]
    report: dict[str, Any] = json.loads(json_reports[-1].read_text(encoding="utf-8"))
    with cassettes[-1].open(encoding="utf-8") as recorded:
        interactions: list[dict[str, Any]] = yaml.load(recorded, Loader=yaml.CSafeLoader)["http_interactions"]
    operations = Operations(local_stack.request(f"{url}/openapi.json")[1])
    totals = Totals(cases=int(report["test_cases"]["generated"]))
    for interaction in interactions or []:
        if interaction.get("response") is None:
            totals.dropped += 1
            continue
        totals.responses[int(interaction["response"]["status"]["code"])] += 1
        _judge(totals, operations, interaction)
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


@pytest.mark.parametrize("identity", sorted(IDENTITIES))
def test_schemathesis_finds_no_server_error_no_dropped_connection_and_no_contract_gap(
    identity: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Given make run's stack with its demo tenant, sweeping every 2 seconds while it is fuzzed (one stack
    # per identity, so the two runs can go side by side on two workers)
    port = local_stack.free_port()
    url = f"http://127.0.0.1:{port}"
    process = local_stack.start(port, "--schedule-seconds", "2")
    try:
        local_stack.wait_ready(process, url)
        # When Schemathesis fuzzes every operation of the served spec as this identity (admin, staff)
        totals = _run(url, identity, IDENTITIES[identity], tmp_path)
    finally:
        output = local_stack.stop(process)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    assert capture is not None
    with capture.global_and_fixture_disabled():  # the totals are for the person running make test
        print("\n" + totals.line(identity), flush=True)
    # Then nothing answered ≥ 500, every request got an answer, and no function failed behind the API
    assert totals.cases > 0, identity
    assert totals.server_errors == 0, totals.line(identity)
    assert totals.dropped == 0, (totals.line(identity), totals.errors)
    # ...and the contract says what the server does (beyond the findings listed as by design)
    gaps = dict(totals.contract)
    assert not gaps, f"{len(gaps)} kinds of contract findings:\n" + "\n".join(sorted(gaps.values()))
    failed = [line for line in output.splitlines() if re.search(r"→ 5\d\d|failed:|Traceback", line)]
    assert failed == [], "\n".join(failed[:20])
