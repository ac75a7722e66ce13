"""The local runner reads routes, schedules and environment from template.yaml, never from a copy."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadrouter_local.apigw import routes
from leadrouter_local.runner import rate_seconds, resolve_environment, scheduler_input, schedules
from leadrouter_local.template import load_template


def _edited_copy(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of template.yaml with ``edit`` applied (intrinsics are kept in their long form)."""
    template = load_template()
    edit(template)
    copy = tmp_path / "template.yaml"
    copy.write_text(yaml.safe_dump(template, sort_keys=False))
    return copy


def test_routes_and_schedules_come_from_the_template() -> None:
    template = load_template()
    found = {(r.method, r.path): r for r in routes(template)}
    assert found[("POST", "/intake/leads")].authenticated is False
    assert found[("GET", "/leads/{lead_id}")].authenticated is True
    assert found[("GET", "/leads/{lead_id}")].match("GET", "/leads/L123") == {"lead_id": "L123"}
    assert {s.function for s in schedules(template)} == {"AssignFunction", "ReclaimFunction"}
    assert {s.seconds for s in schedules(template)} == {60}


def test_the_runner_follows_an_edited_template(tmp_path: Path) -> None:
    # Given a copy of the template where the assign schedule runs every 5 minutes and a route moved
    def edit(template: dict[str, Any]) -> None:
        resources = template["Resources"]
        for event in resources["AssignFunction"]["Properties"]["Events"].values():
            event["Properties"]["ScheduleExpression"] = "rate(5 minutes)"
        for event in resources["ApiFunction"]["Properties"]["Events"].values():
            if event["Properties"]["Path"] == "/leads/{lead_id}":
                event["Properties"]["Path"] = "/v2/leads/{lead_id}"

    template = load_template(_edited_copy(tmp_path, edit))
    # Then the runner's tables of routes and schedules follow it
    paths = {r.path for r in routes(template)}
    assert "/v2/leads/{lead_id}" in paths and "/leads/{lead_id}" not in paths
    assert sorted(s.seconds for s in schedules(template)) == [60, 300]


def test_scheduler_input_fills_the_context_attributes() -> None:
    template_input = next(s.input for s in schedules(load_template()) if s.function == "AssignFunction")
    filled = scheduler_input(template_input, datetime(2026, 11, 24, 2, 1, tzinfo=UTC))
    assert filled["scheduled_time"] == "2026-11-24T02:01:00Z"
    assert filled["execution_id"] not in ("", "<aws.scheduler.execution-id>")
    assert "<aws." not in json.dumps(filled)


def test_rates_and_environment() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(2 hours)") == 7200
    with pytest.raises(ValueError, match="cron"):
        rate_seconds("cron(0 * * * ? *)")
    env = resolve_environment(
        load_template(), {"LeadsTable": "L", "ConfigTable": "C", "EventsTable": "E", "IdempotencyTable": "I"}
    )
    assert (env["LEADS_TABLE"], env["CONFIG_TABLE"], env["LEASE_SECONDS"]) == ("L", "C", "180")
