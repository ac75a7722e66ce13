"""A stateful property test over the logic layer (DynamoDB Local, single-threaded).

(DynamoDB Local rather than moto: moto spends ~20 ms serialising each response, which made 1,000 steps
take minutes; DynamoDB Local answers in a few.)

Hypothesis interleaves intake (with duplicate phones, two pools: one linking duplicates, one rotating
them), deletes and restores, contact edits, rule edits and enable/disable, staff deactivation and
pausing, care, assign and reclaim ticks, mass campaign updates and the passing of time. After every
step the invariants the service promises are checked against what is stored:

* every lead reads back valid (no damaged field) and is in exactly one status, with exactly the index
  attributes that status calls for;
* every pending lead is due to an open rule in charge of its scope, or its scope is marked and shown as
  unrouted (so the unrouted sweep escalates it);
* after an assign tick, no open lead is held by an inactive member;
* every contact claim points at a live lead holding that contact;
* the decisions on a lead form a valid chain (time order; the owner is the last assigning decision's
  staff member; a reclaim takes the lead from its previous owner) and no rotation slot is used twice.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from leadrouter.data.repository import Repository, from_item, lead_from_item
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.dispatch import shard_of
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.forms import FormSource
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.admin import rules as admin_rules
from leadrouter.logic.admin import staff as admin_staff
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead
from leadrouter.logic.leads import campaigns, care, edits
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.logic.routing.unrouted import escalate_unrouted, tenant_gaps
from leadrouter.runtime import secret_box
from leadrouter.settings import Settings
from leadrouter_local.ddb_local import DynamoDBLocal
from leadrouter_local.template import create_tables, table_env
from tests.support.builders import NOW, TENANT, staff
from tests.support.builders import rule as make_rule
from tests.support.ticks import run_sweeps

PHONES = ["0912345670", "0912345671", "0912345672", "0912345673", None]
EMAILS = ["an@example.vn", "binh@example.vn", None]
STAFF = ("A", "B", "C")
CAMPAIGN = "Tết 2027"
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin")
#: The ticks are the invocations of the one tenant's dispatch shard (the other shards hold no tenant).
SHARD = shard_of(TENANT)
LEASE = timedelta(minutes=3)
STEPS_RUN = Counter[str]()

#: Which decisions put a lead with someone (their staff_id is then the owner).
ASSIGNING = frozenset({"assigned", "reclaimed", "manual"})
INDEX_ATTRS = {
    LeadStatus.PENDING: {"due_scope"},
    LeadStatus.ASSIGNED: {"idle_scope", "owner_key"},
    LeadStatus.ESCALATED: set(),
    LeadStatus.DELETED: set(),
}


class LeadInvariants(RuleBasedStateMachine):
    server: DynamoDBLocal | None = None  # set by the test (the session's DynamoDB Local)

    def __init__(self) -> None:
        super().__init__()
        assert LeadInvariants.server is not None
        self._saved_env = dict(os.environ)
        client = LeadInvariants.server.client()
        self._names = create_tables(client, prefix=f"s{uuid.uuid4().hex[:12]}-", ttl=False)  # NOW is past
        os.environ.update(table_env(self._names))
        self.client = client
        self.tables = Settings.from_env()
        self.repo = Repository(self.tables, client, secret_box=secret_box)  # a call's log needs the pepper
        self.now = NOW
        self.lead_ids: list[str] = []
        self.ticked_after_staff_change = True
        self.repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
        for sid in STAFF:
            self.repo.put_staff(staff(sid))
        self.repo.create_rule(make_rule("r-web", weights={"A": 1, "B": 2, "C": 1}))
        self.repo.create_rule(
            make_rule(
                "r-back", weights={s: 1 for s in STAFF}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30
            )
        )
        self.repo.create_rule(make_rule("r-tet", weights={"A": 1, "C": 1}, scope={"campaign": CAMPAIGN}))
        self.repo.create_rule(
            make_rule("r-ads", weights={"B": 1, "C": 1}, scope={"pool": "ads", "step": "new"})
        )
        self.repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="ads", on_duplicate="rotate"))
        self.sources = {
            pool: FormSource(
                tenant_id=TENANT, source_id=f"form-{pool}", name=pool, pool=pool, steps=["callback"]
            )
            for pool in ("web", "ads")
        }

    def teardown(self) -> None:
        for name in self._names.values():
            self.client.delete_table(TableName=name)
        os.environ.clear()
        os.environ.update(self._saved_env)

    def _step(self, name: str) -> None:
        STEPS_RUN[name] += 1

    # ------------------------------------------------------------------ actions
    @rule(
        phone=st.sampled_from(PHONES),
        email=st.sampled_from(EMAILS),
        pool=st.sampled_from(["web", "ads"]),
        step=st.sampled_from([None, "callback"]),
    )
    def intake(self, phone: str | None, email: str | None, pool: str, step: str | None) -> None:
        self._step("intake")
        if phone is None and email is None:
            email = "khach@example.vn"
        request = IntakeRequest(name="Khách hàng", phone=phone, email=email, step=step)
        result = submit_lead(self.repo, self.sources[pool], request, self.now)
        assert self.repo.get_lead(TENANT, result.lead_id) is not None, "a 201 must name a lead that exists"
        if result.lead_id not in self.lead_ids:
            self.lead_ids.append(result.lead_id)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self._step("delete")
        lead_id = data.draw(st.sampled_from(self.lead_ids))
        with contextlib.suppress(NotFound):  # already deleted
            edits.delete_lead(self.repo, ADMIN, lead_id, self.now)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        self._step("restore")
        lead_id = data.draw(st.sampled_from(self.lead_ids))
        # not deleted (409), or a newer lead holds its contact (409)
        with contextlib.suppress(NotFound, Conflict, InvalidInput):
            edits.restore_lead(self.repo, ADMIN, lead_id, self.now)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data(), phone=st.sampled_from(PHONES[:-1]))
    def edit_phone(self, data: st.DataObject, phone: str) -> None:
        self._step("edit_phone")
        lead_id = data.draw(st.sampled_from(self.lead_ids))
        # deleted, or the phone belongs to another lead (409)
        with contextlib.suppress(NotFound, Conflict, InvalidInput):
            edits.edit_lead(self.repo, ADMIN, lead_id, edits.LeadEdit(phone=phone), self.now)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data())
    def care(self, data: st.DataObject) -> None:
        self._step("care")
        lead_id = data.draw(st.sampled_from(self.lead_ids))
        with contextlib.suppress(NotFound, Conflict):
            care.add_activity(self.repo, ADMIN, lead_id, "call", "gọi lần 1", self.now)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data(), step=st.sampled_from(["new", "callback", "Chốt"]))
    def move_step(self, data: st.DataObject, step: str) -> None:
        self._step("move_step")
        lead_id = data.draw(st.sampled_from(self.lead_ids))
        with contextlib.suppress(NotFound, Conflict, NotAllowed):
            care.move_step(self.repo, ADMIN, lead_id, step, self.now)

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data())
    def campaign(self, data: st.DataObject) -> None:
        self._step("campaign")
        chosen = data.draw(st.lists(st.sampled_from(self.lead_ids), min_size=1, max_size=3))
        campaigns.put_in_campaign(self.repo, ADMIN, CAMPAIGN, chosen, self.now)

    @rule(rule_id=st.sampled_from(["r-web", "r-tet", "r-ads"]), active=st.booleans())
    def enable_or_disable(self, rule_id: str, active: bool) -> None:
        self._step("enable_or_disable")
        admin_rules.set_rule_active(self.repo, ADMIN, rule_id, active)

    @rule(weights=st.lists(st.integers(1, 4), min_size=3, max_size=3))
    def edit_rule(self, weights: list[int]) -> None:
        self._step("edit_rule")
        body = admin_rules.RuleReplacement(
            name="Website",
            kind="weighted",
            scope={"pool": "web", "step": "new"},
            staff=[{"staff_id": s, "weight": w} for s, w in zip(STAFF, weights, strict=True)],
        )
        admin_rules.replace_rule(self.repo, ADMIN, "r-web", body)

    @rule(staff_id=st.sampled_from(STAFF), active=st.booleans(), paused=st.booleans())
    def change_staff(self, staff_id: str, active: bool, paused: bool) -> None:
        self._step("change_staff")
        patch = admin_staff.StaffPatch(active=active, paused=paused)
        admin_staff.update_staff(self.repo, ADMIN, staff_id, patch, self.now)
        self.ticked_after_staff_change = False

    @rule(minutes=st.sampled_from([1, 5, 31, 130]))
    def time_passes(self, minutes: int) -> None:
        self._step("time_passes")
        self.now += timedelta(minutes=minutes)

    @rule()
    def assign_tick(self) -> None:
        self._step("assign_tick")
        report = run_sweeps(self.repo, "assign", sweep_due_leads, self.now, LEASE, shard=SHARD)
        assert not getattr(report, "failed", []), "no rule may fail on healthy data"
        escalate_unrouted(self.repo, report.unrouted, self.now)
        self.now += timedelta(seconds=1)
        self.ticked_after_staff_change = True

    @rule()
    def reclaim_tick(self) -> None:
        self._step("reclaim_tick")
        run_sweeps(self.repo, "reclaim", sweep_idle_leads, self.now, LEASE, shard=SHARD)
        self.now += timedelta(seconds=1)

    # ------------------------------------------------------------------ invariants
    @invariant()
    def stored_state_keeps_every_promise(self) -> None:
        """One read of the tables per step (a scan: tests may), then every invariant over it."""
        raws = self._raw_leads()
        stored = {raw["lead_id"]: lead_from_item(raw) for raw in raws}
        for raw in raws:
            self._readable_and_indexed(raw, stored[raw["lead_id"]])
        self._pending_leads_are_due_or_unrouted(list(stored.values()))
        self._no_inactive_holder_after_a_tick(list(stored.values()))
        self._claims_point_at_live_holders(stored)
        self._decisions_chain_and_slots_are_unique(list(stored.values()))

    def _raw_leads(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.tables.leads_table}
        while True:
            page = self.client.scan(**kwargs)
            items += [from_item(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @staticmethod
    def _readable_and_indexed(raw: dict[str, Any], lead: Lead) -> None:
        assert lead.damaged_fields == [], (lead.lead_id, lead.damaged_fields)
        present = {a for a in ("due_scope", "idle_scope", "owner_key") if a in raw}
        assert present == INDEX_ATTRS[lead.status], (lead.lead_id, lead.status, present)

    def _pending_leads_are_due_or_unrouted(self, stored: list[Lead]) -> None:
        in_charge, _ = rules_in_charge(r for r in self.repo.list_rules(TENANT) if r.active)
        routed = {r.scope.key for r in in_charge if r.action == "assign" and r.window.is_open(self.now)}
        unrouted = tenant_gaps(self.repo, TENANT, self.now)
        for lead in stored:
            if lead.status is LeadStatus.PENDING:
                assert lead.scope_key in routed or lead.scope_key in unrouted, lead.scope_key

    def _no_inactive_holder_after_a_tick(self, stored: list[Lead]) -> None:
        if not self.ticked_after_staff_change:
            return
        members = self.repo.get_staff(TENANT, list(STAFF))
        for lead in stored:
            if lead.status is LeadStatus.ASSIGNED and lead.owner in members:
                assert members[lead.owner].active, f"{lead.lead_id} held by inactive {lead.owner}"

    def _claims_point_at_live_holders(self, stored: dict[str, Lead]) -> None:
        page = self.client.query(
            TableName=self.tables.config_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues={":pk": {"S": f"TENANT#{TENANT}"}, ":c": {"S": "CONTACT#"}},
        )
        for item in page["Items"]:
            contact = item["sk"]["S"].removeprefix("CONTACT#")
            holder = stored.get(item["lead_id"]["S"])
            assert holder is not None and holder.status is not LeadStatus.DELETED, contact
            assert contact in contact_keys(holder.phone, holder.email), (contact, holder.phone)

    @staticmethod
    def _decisions_chain_and_slots_are_unique(stored: list[Lead]) -> None:
        slots: Counter[tuple[str | None, int | None, int]] = Counter()
        for lead in stored:
            times = [d.at for d in lead.decisions]
            assert times == sorted(times), lead.lead_id
            holder: str | None = None
            for decision in lead.decisions:
                if decision.action == "reclaimed":
                    assert decision.previous_owner == holder, lead.lead_id
                if decision.action in ASSIGNING:
                    holder = decision.staff_id
                if decision.action in ("assigned", "reclaimed") and decision.slot is not None:
                    slots[(decision.rule_id, decision.rule_version, decision.slot)] += 1
            last_assigning = next((d for d in reversed(lead.decisions) if d.action in ASSIGNING), None)
            if lead.status is LeadStatus.ASSIGNED and last_assigning is not None:
                assert lead.owner == last_assigning.staff_id, lead.lead_id
        assert all(n == 1 for n in slots.values()), [k for k, n in slots.items() if n > 1]


LeadInvariants.TestCase.settings = settings(
    max_examples=25,
    report_multiple_bugs=False,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_lead_invariants_hold_under_random_interleavings(
    ddb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leadrouter.logic.routing.assign.WRITE_CONCURRENCY", 1)  # one step at a time
    monkeypatch.setattr(LeadInvariants, "server", ddb_local)
    STEPS_RUN.clear()
    LeadInvariants.TestCase("runTest").runTest()
    total = sum(STEPS_RUN.values())
    print(f"stateful steps run: {total} {dict(STEPS_RUN)}")
    assert total >= 25 * 10 and STEPS_RUN["assign_tick"] > 0 and STEPS_RUN["intake"] > 0
