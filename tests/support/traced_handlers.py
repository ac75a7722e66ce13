"""Every Lambda handler invoked as Lambda invokes it under ``Tracing: Active``, on leads of known people,
so that a test can read every trace document the X-Ray SDK sends.

Run as ``python -m tests.support.traced_handlers`` in a process of its own whose environment is a Lambda
container's as far as Powertools and the SDK look (``LAMBDA_TASK_ROOT`` set, no
``POWERTOOLS_TRACE_DISABLED``, ``AWS_XRAY_DAEMON_ADDRESS`` at the test's collector): Powertools then
enables its Tracer and patches boto3 at import, as in AWS, and the SDK streams each finished subsegment
to the collector. AWS is moto. Each scenario runs under its own ``_X_AMZN_TRACE_ID`` (Lambda sets one
per invocation); the last line of stdout maps each scenario to its trace id.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from functions.alerts import app as alerts_app
from functions.assign import app as assign_app
from functions.dispatch import app as dispatch_app
from functions.publish import app as publish_app
from functions.reclaim import app as reclaim_app
from leadrouter.clock import utc_now
from leadrouter.domain.events import LeadEscalated
from leadrouter.domain.leads import Lead
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from leadrouter_local.template import create_tables, table_env
from tests.support.api import ADMIN, CRM, add_form_source, call, event
from tests.support.builders import TENANT, add_leads, rule, seed, staff
from tests.support.event_records import change_record
from tests.support.forms import post_form
from tests.support.lambda_context import FakeContext
from tests.support.streams import stream_event
from tests.support.sweep_queues import run_sweepers, sweep_queues
from tests.support.template import template
from tests.support.ticks import run_sweeps
from tests.support.webhooks import (
    assigned,
    create_queues,
    receiver_factory,
    run_delivery,
    run_fanout,
    sqs_event,
    webhook,
)

#: The two people the scenarios' leads belong to, as their forms send them.
NAMES = ("Trần Thị Bích Ngọc", "Phạm Quốc Khánh")
PHONES_SENT = ("0912 345 678", "+84 987 654 321")
#: A phone's subscriber digits: in every spelling of it (E.164 +84…, national 0…, spaced, dotted).
PHONE_DIGITS = ("912345678", "987654321")
EMAILS = ("ngoc.tran@example.vn", "khanh.pham@example.vn")
ALERT_EMAIL = "sale.alerts@example.vn"
#: The scenario whose invocation fails (Lambda sees an error): its trace must still show the fault.
FAILING = "publish: the bus is gone, the whole batch fails"
SENDER = "alerts@leadrouter.example.vn"


def _trace_header() -> tuple[str, str]:
    """A sampled trace id and the header Lambda puts in ``_X_AMZN_TRACE_ID`` for an invocation."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return root, f"Root={root};Parent={secrets.token_hex(8)};Sampled=1"


class Scenarios:
    """One tenant (a form, a webhook, alert addresses, an assign rule A/B and a reclaim rule C) on moto,
    and the invocations of every function on its leads, each in its own trace."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.traces: dict[str, str] = {}
        self._between()
        for var, table in table_env(create_tables(boto3.client("dynamodb"), template()), template()).items():
            patch.setenv(var, table)
        bus = boto3.client("events").create_event_bus(Name="leadrouter-traces")["EventBusArn"]
        self.bus = bus.rsplit("/", 1)[-1]
        patch.setenv("EVENT_BUS_NAME", self.bus)
        self.ses = boto3.client("ses")
        self.ses.verify_email_identity(EmailAddress=SENDER)
        patch.setenv("ALERT_SENDER", SENDER)
        self.patch = patch
        self.webhook_queues = create_queues(patch)
        self.sweep_queues = sweep_queues(patch)
        self.repo = new_repository()
        self.now = utc_now()

    @staticmethod
    def _between() -> None:
        """Calls outside any invocation (the test's own setup) get a trace of their own."""
        os.environ["_X_AMZN_TRACE_ID"] = _trace_header()[1]

    @contextmanager
    def invocation(self, name: str) -> Iterator[None]:
        root, header = _trace_header()
        self.traces[name] = root
        os.environ["_X_AMZN_TRACE_ID"] = header
        try:
            yield
        finally:
            self._between()

    def seed(self, receiver_url: str) -> Lead:
        """The tenant; returns the second person's lead, assigned two hours ago and idle since."""
        seed(self.repo, rule("r-assign", weights={"A": 1, "B": 1}))
        reclaim = rule("r-reclaim", weights={"C": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=1)
        seed(self.repo, reclaim, [staff("C")])
        tenant = {"tenant_id": TENANT, "name": "Acme", "alerts": {"emails": [ALERT_EMAIL]}}
        self.repo.save_tenant(self.repo.get_tenant(TENANT), Tenant.model_validate(tenant))
        add_form_source(self.repo)
        self.repo.create_webhook(webhook(receiver_url, webhook_id="W1"), "whsec_" + "s" * 43)
        (idle,) = add_leads(
            self.repo,
            1,
            received_at=self.now - timedelta(hours=3),
            name=NAMES[1],
            phone="+84987654321",
            email=EMAILS[1],
        )
        run_sweeps(self.repo, "assign", sweep_due_leads, self.now - timedelta(hours=2), timedelta(minutes=3))
        return idle

    def api(self) -> str:
        """The form door (JSON and a plain form) and an admin reading the lead; returns its id."""
        with self.invocation("api: POST /intake/leads (JSON)"):
            body = {"name": NAMES[0], "phone": PHONES_SENT[0], "email": EMAILS[0]}
            reply = call(event("POST", "/intake/leads", body, headers=CRM))  # the secret: answers the lead
            assert reply.status == 201, reply.body
        with self.invocation("api: POST /f/{key} (urlencoded form)"):
            pairs = [("name", NAMES[0]), ("phone", PHONES_SENT[0]), ("email", EMAILS[0])]
            assert post_form(pairs).status < 400
        lead_id: str = reply.body["lead_id"]
        with self.invocation("api: GET /leads/{id}"):
            reply = call(event("GET", f"/leads/{lead_id}", claims=ADMIN))
            assert reply.status == 200 and reply.body["lead"]["email"] == EMAILS[0], reply.body
        return lead_id

    def streams(self, lead_id: str) -> Lead:
        """The leads table's stream: assign on arrival, publish (and a publish that fails)."""
        arrived = self.repo.get_lead(TENANT, lead_id)
        assert arrived is not None
        with self.invocation("assign: stream INSERT"):
            assert assign_app.handler(stream_event([arrived]), FakeContext()) == {"batchItemFailures": []}
        owned = self.repo.get_lead(TENANT, lead_id)
        assert owned is not None and owned.owner in ("A", "B")
        records = {"Records": [change_record(None, arrived, 1), change_record(arrived, owned, 2)]}
        with self.invocation("publish: stream INSERT and MODIFY"):
            assert publish_app.handler(records, FakeContext()) == {"batchItemFailures": []}
        with self.invocation(FAILING):
            self.patch.setenv("EVENT_BUS_NAME", "leadrouter-missing")
            _expect_failure(lambda: publish_app.handler(records, FakeContext()))
            self.patch.setenv("EVENT_BUS_NAME", self.bus)
        return owned

    def schedule(self, idle: Lead) -> None:
        """A reclaim tick: dispatch's tick and shard orders, then the reclaim sweep that moves ``idle``."""
        tick = {"action": "reclaim", "scheduled_time": self.now.isoformat(), "execution_id": "tick-1"}
        queues = self.sweep_queues
        with self.invocation("dispatch: reclaim tick and its shard orders"):
            dispatch_app.handler(tick, FakeContext())
            assert run_sweepers(queues, queues.dispatch, dispatch_app.handler) == []
        with self.invocation("reclaim: sweep order"):
            assert run_sweepers(queues, queues.reclaim, reclaim_app.handler) == []
        taken = self.repo.get_lead(TENANT, idle.lead_id)
        assert taken is not None and taken.owner == "C", taken

    def webhooks(self, owned: Lead, received: Callable[[], int]) -> None:
        self.webhook_queues.put_event(assigned(lead_id=owned.lead_id, staff=owned.owner or "A"))
        with self.invocation("webhook_fanout: LeadAssigned"):
            assert run_fanout(self.webhook_queues) == []
        with self.invocation("webhook_delivery: one signed POST"):
            assert run_delivery(self.webhook_queues) == (1, [])
        assert received() == 1

    def alert(self, idle: Lead) -> None:
        escalated = LeadEscalated(
            event_id=f"{idle.lead_id}-9",
            tenant_id=TENANT,
            lead_id=idle.lead_id,
            occurred_at=self.now,
            received_at=idle.received_at,
            seconds_since_received=10800.0,
            pool="web",
            step="new",
            reason="no_eligible_staff",
            rule_id="r-reclaim",
            rule_version=1,
            previous_owner="C",
        )
        detail = json.loads(escalated.model_dump_json())
        body = json.dumps({"source": "leadrouter", "detail-type": "LeadEscalated", "detail": detail})
        message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": body, "MD5OfBody": "x"}
        with self.invocation("alerts: LeadEscalated e-mail"):
            answer = alerts_app.handler(sqs_event([message], "EscalationAlertsQueue"), FakeContext())
            assert answer == {"batchItemFailures": []}, answer
        sent = self.ses.get_send_statistics()["SendDataPoints"]
        assert sum(int(p["DeliveryAttempts"]) for p in sent) == 1


def _expect_failure(invoke: Callable[[], object]) -> None:
    """The invocation raises, as Lambda sees a failed batch."""
    try:
        invoke()
    except Exception:
        return
    raise AssertionError("the invocation was expected to fail")


def run() -> dict[str, str]:
    """Every scenario; scenario → trace id."""
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        scenarios = Scenarios(patch)
        receivers = receiver_factory()
        receiver = next(receivers)()
        idle = scenarios.seed(receiver.url)
        owned = scenarios.streams(scenarios.api())
        scenarios.schedule(idle)
        scenarios.webhooks(owned, lambda: len(receiver.received))
        scenarios.alert(idle)
        next(receivers, None)  # stops the receiver
    return scenarios.traces


if __name__ == "__main__":
    print(json.dumps(run()))
