"""Retention on DynamoDB Local, on the machine's clock: a lead, a submission and a delivery log written
with a period that ends seconds later are hidden by every read from the second it ends, then deleted by
DynamoDB's TTL (DynamoDB Local's sweeper within a few seconds; AWS within about two days, which is why
the reads do not wait for it).

DynamoDB Local 3.3's sweeper never deletes an item that lacks the key attributes of one of its table's
GSIs (measured: a table with one KEYS_ONLY GSI, items with and without its keys; only those with them
went). Every lead is outside one of the two sparse indexes, so here leads stay, hidden, as AWS's
deletion lag would leave them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from leadrouter.clock import utc_now
from leadrouter.data import expiry
from leadrouter.data.items import to_item
from leadrouter.data.webhooks import log_key
from leadrouter.domain.privacy import PrivacySettings, Retention
from leadrouter.domain.submissions import Submission
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.webhooks import DeliveryRequest
from leadrouter.runtime import new_repository
from tests.support.builders import NOW, TENANT, lead
from tests.support.webhooks import assigned

#: How long after each write its period ends here: a day's period, stamped as if written a day ago less
#: this. Ample for the reads just after the writes to find the items still there (DynamoDB Local
#: deletes an expired item within about 2 s of its stamp).
LEFT = timedelta(seconds=10)
#: DynamoDB Local deletes an expired item within a few seconds (2 s measured); far more is allowed.
SWEEPER_DEADLINE = 60.0


def _until(done: Callable[[], bool], deadline: float, what: str) -> None:
    """Poll ``done`` every 0.2 s until it holds, failing after ``deadline`` seconds."""
    give_up = time.monotonic() + deadline
    while not done():
        assert time.monotonic() < give_up, f"{what}: not within {deadline} s"
        time.sleep(0.2)


def test_expired_items_are_hidden_at_once_and_then_deleted_by_ttl(
    ddb_tables_with_ttl: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repository()
    client = repo._client
    # Given a tenant keeping each kind of data one day, and writes stamped as if made a day ago less
    # LEFT: each item's period ends LEFT after it is written (the shortest period is a day)
    one_day = Retention(leads_days=1, submissions_days=1, logs_days=1, attribution_days=1)
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", privacy=PrivacySettings(retention=one_day)))
    written = utc_now()
    moments: list[datetime] = []

    def a_day_ago_less_left() -> datetime:
        moments.append(utc_now() - timedelta(days=1) + LEFT)
        return moments[-1]

    monkeypatch.setattr(expiry, "stamp_now", a_day_ago_less_left)
    the_lead = lead(lead_id="L-expiring")
    repo.put_new_lead(the_lead)
    record = Submission(
        tenant_id=TENANT,
        submission_id="web-form.K.expiring",
        source_id="web-form",
        received_at=NOW,
        lead_id=the_lead.lead_id,
        payload_hash="h" * 64,
        channel="form",
        fields=[("name", "An"), ("phone", "0912345678")],
        expires_at=0,
    )
    assert repo.store_submission(record) is None
    delivery = DeliveryRequest(tenant_id=TENANT, webhook_id="W1", event=assigned(the_lead.lead_id))
    assert repo.claim_delivery(delivery, "m1", NOW, 60).attempt == 1
    keys = {
        ddb_tables_with_ttl["LeadsTable"]: {"tenant_id": TENANT, "lead_id": the_lead.lead_id},
        ddb_tables_with_ttl["SubmissionsTable"]: {"tenant_id": TENANT, "submission_id": record.submission_id},
        ddb_tables_with_ttl["DeliveriesTable"]: log_key(delivery),
    }

    def stored() -> list[str]:
        """The tables that still hold their item (raw reads: what DynamoDB has, not what we show)."""
        return [t for t, key in keys.items() if client.get_item(TableName=t, Key=to_item(key)).get("Item")]

    def shown() -> list[str]:
        return [
            kind
            for kind, found in (
                ("lead", repo.get_lead(TENANT, the_lead.lead_id)),
                ("submission", repo.get_submission(TENANT, record.submission_id)),
                ("delivery", repo.get_delivery(delivery)),
            )
            if found is not None
        ]

    ends = max(moments) + timedelta(days=1)  # the latest stamp: each write's moment plus one day
    assert set(stored()) == set(keys)
    # …each read while within its period (judged at the moment of the writes)
    monkeypatch.setattr(expiry, "now", lambda: written)
    assert shown() == ["lead", "submission", "delivery"]

    # When the machine's clock reaches the stamps
    monkeypatch.setattr(expiry, "now", utc_now)
    _until(lambda: utc_now() >= ends, LEFT.total_seconds() + 30, "the stamps' second")
    # Then every read hides them at once, whether or not DynamoDB has deleted them yet
    assert shown() == []
    # …and DynamoDB Local's TTL sweeper deletes the submission and the delivery log soon after
    leads_table = ddb_tables_with_ttl["LeadsTable"]
    _until(lambda: stored() == [leads_table], SWEEPER_DEADLINE, "TTL deletion")
    # …while the lead, which DynamoDB Local's sweeper never deletes (it skips an item that lacks the key
    # of one of its table's GSIs, and a lead is always out of one of its two sparse indexes; AWS
    # deletes it), stays in the table and hidden: what every read sees on AWS for up to two days
    assert shown() == []
