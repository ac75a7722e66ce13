"""Lead use cases behind the API: read with history, edit, manual assignment, steps, care, campaigns.

Every change reads the lead, builds the new state with the domain model (validated: ``changed``),
and saves it conditioned on the revision it read (``Repository.save_lead``), together with its
history event and any contact claims it moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadrouter.data.cursors import Cursor
from leadrouter.data.repository import Repository
from leadrouter.domain.base import Name, omissible
from leadrouter.domain.contacts import (
    EMAIL_SCHEMA,
    PHONE_SCHEMA,
    contact_keys,
    normalise_email,
    normalise_phone,
)
from leadrouter.domain.errors import Conflict, ContactTaken, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.leads import Attributes, Decision, Lead, LeadEvent, LeadStatus
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.scopes import scope_key
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.claims import Holders, contact_field, sort_holders
from leadrouter.logic.routing.clocks import RuleClocks, tenant_calendar

MAX_BATCH = 500
#: The reason written on each lead given back to rotation because its owner was deactivated.
DEACTIVATED = "owner_deactivated"
#: The reason written on each held lead a mass update moved into a campaign (its rule splits it anew).
MOVED = "moved_to_campaign"


class LeadEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = omissible()  # (null is refused: a lead keeps a name)
    phone: Annotated[str, Field(max_length=32, json_schema_extra=PHONE_SCHEMA)] | None = None
    email: Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)] | None = None
    attributes: Attributes | None = omissible()


def changed(lead: Lead, **changes: Any) -> Lead:
    """``lead`` with ``changes``, validated as a read would be (``model_copy`` skips validation).

    So a value the model would refuse when the lead is read back can never be written: 422 instead.
    """
    try:
        return Lead.model_validate({**lead.model_dump(), **changes})
    except ValidationError as error:
        problems = {".".join(str(p) for p in e["loc"]) or "lead": e["msg"] for e in error.errors()}
        raise InvalidInput("invalid lead fields", problems) from error


def _holders(lead: Lead) -> set[str]:
    return set(lead.assignees) | ({lead.owner} if lead.owner else set())


def visible(repo: Repository, caller: Caller, lead: Lead) -> bool:
    """Admins: the tenant's leads. Team leads: leads held by their team. Staff: leads they hold."""
    if lead.tenant_id != caller.tenant_id:
        return False
    if caller.role == "admin":
        return True
    holders = _holders(lead)
    if caller.role == "staff":
        return caller.staff_id in holders
    if caller.team is None or not holders:
        return False
    return any(m.team == caller.team for m in repo.get_staff(caller.tenant_id, sorted(holders)).values())


def get_lead(repo: Repository, caller: Caller, lead_id: str) -> Lead:
    """The lead if the caller may see it; otherwise 'not found' (existence is not leaked)."""
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or lead.status is LeadStatus.DELETED or not visible(repo, caller, lead):
        raise NotFound(f"lead {lead_id} not found")
    return lead


def history(repo: Repository, lead: Lead) -> list[dict[str, Any]]:
    """Every decision and every event, oldest first: the seed's "Tab Hệ thống"."""
    entries = [{"type": "decision", **d.model_dump(mode="json", exclude_none=True)} for d in lead.decisions]
    entries += [
        {"type": "event", **e.model_dump(mode="json", exclude_none=True)}
        for e in repo.lead_events(lead.tenant_id, lead.lead_id)
    ]
    return sorted(entries, key=lambda e: str(e["at"]))


def edit_lead(repo: Repository, caller: Caller, lead_id: str, edit: LeadEdit, now: datetime) -> Lead:
    """Edit name, contacts or attributes; a changed phone/email moves its claim in the same write.

    The old claim is freed (if this lead held it) and the new one taken, in one transaction with the
    revision-checked lead: a contact another live lead holds is a 409 naming the field.
    """
    lead = get_lead(repo, caller, lead_id)
    changes: dict[str, Any] = edit.model_dump(exclude_unset=True)
    problems: dict[str, str] = {}
    if changes.get("phone"):
        try:
            changes["phone"] = normalise_phone(changes["phone"])
        except ValueError as error:
            problems["phone"] = str(error)
    if changes.get("email"):
        try:
            changes["email"] = normalise_email(changes["email"])
        except ValueError as error:
            problems["email"] = str(error)
    if problems:
        raise InvalidInput("invalid contact fields", problems)
    after = changed(lead, **changes)
    if not (after.phone or after.email):
        raise InvalidInput("a lead needs a phone number or an email", {"phone": "required if no email"})
    before_keys = contact_keys(lead.phone, lead.email)
    after_keys = contact_keys(after.phone, after.email)
    gone = [c for c in before_keys if c not in after_keys]
    added = [c for c in after_keys if c not in before_keys]
    held = repo.contact_claims(lead.tenant_id, gone + added) if gone or added else {}
    found = sort_holders(repo, lead.tenant_id, {c: held[c] for c in added if c in held}, lead.lead_id)
    taken = next(iter(found.live.items()), None)
    if taken is not None:
        raise ContactTaken(contact_field(taken[0]), taken[1].lead_id)
    _refuse_in_flight(found)
    event = LeadEvent(at=now, kind="edited", by=caller.label, data={"fields": ",".join(sorted(changes))})
    return repo.save_lead(
        lead,
        after,
        event,
        claim=added,
        release=[c for c in gone if c in held and held[c].lead_id == lead.lead_id],
        replacing=found.stale,
    )


def _refuse_in_flight(found: Holders) -> None:
    """A contact a new submission is claiming this very moment: its lead may be about to exist."""
    if found.in_flight:
        contact = next(iter(found.in_flight))
        raise Conflict(f"a new submission with this {contact_field(contact)} is being stored now; retry")


def _active_staff(repo: Repository, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
    members = repo.get_staff(tenant_id, staff_ids)
    problems = {
        f"staff_ids.{i}": "unknown staff member" if sid not in members else "staff member is inactive"
        for i, sid in enumerate(staff_ids)
        if sid not in members or not members[sid].active
    }
    if problems:
        raise InvalidInput("cannot assign to these staff members", problems)
    return members


def assign_manually(
    repo: Repository, caller: Caller, lead_id: str, staff_ids: Sequence[str], now: datetime
) -> Lead:
    """CRMOnline's "giao cho": one or several staff; the first is the owner the reclaim clock watches."""
    if caller.role == "staff":
        raise NotAllowed("staff cannot reassign leads")
    lead = get_lead(repo, caller, lead_id)
    members = _active_staff(repo, caller.tenant_id, staff_ids)
    if caller.role == "team_lead" and any(members[s].team != caller.team for s in staff_ids):
        raise NotAllowed("a team lead assigns within their own team")
    if lead.status is LeadStatus.DELETED:
        raise NotFound(f"lead {lead_id} not found")
    ids = list(dict.fromkeys(staff_ids))
    after = changed(
        lead,
        status=LeadStatus.ASSIGNED,
        owner=ids[0],
        assignees=ids,
        assigned_at=now,
        idle_since=now,
        held_by=lead.held_by + [s for s in ids if s not in lead.held_by],
        decisions=[
            *lead.decisions,
            Decision(at=now, action="manual", staff_id=ids[0], previous_owner=lead.owner, by=caller.label),
        ],
    )
    event = LeadEvent(at=now, kind="manual_assign", by=caller.label, data={"staff": ",".join(ids)})
    return repo.save_lead(lead, after, event)


def move_step(repo: Repository, caller: Caller, lead_id: str, step: str, now: datetime) -> Lead:
    """ "Chuyển bước": the lead moves to the new step's scope; for its holder it counts as care.

    A campaign lead stays in its campaign's scope (campaign wins over pool + step). Staff may not move
    a lead out of reclaim coverage (the reclaim rule would lose sight of it); admins and team leads may.
    """
    lead = get_lead(repo, caller, lead_id)
    target = scope_key(pool=lead.pool, step=step, campaign=lead.campaign)
    if caller.role == "staff" and target != lead.scope_key:
        covered = reclaimed_scopes(repo, caller.tenant_id)
        if lead.scope_key in covered and target not in covered:
            raise NotAllowed(f"no reclaim rule covers step {step!r}; ask an admin to move this lead there")
    update: dict[str, Any] = {"step": step}
    if lead.status is LeadStatus.PENDING and target != lead.scope_key:
        update["queued_at"] = now  # it waits in the new step's queue from now
    elif lead.status is LeadStatus.ASSIGNED:
        update |= {"idle_since": now, "last_activity_at": now}
    event = LeadEvent(at=now, kind="step_change", by=caller.label, data={"from": lead.step, "to": step})
    return repo.save_care(lead, changed(lead, **update), event)


def reclaimed_scopes(repo: Repository, tenant_id: str) -> set[str]:
    """Scope keys an active reclaim rule is in charge of (its idle leads are taken back)."""
    in_charge, _ = rules_in_charge(r for r in repo.list_rules(tenant_id) if r.active)
    return {r.scope.key for r in in_charge if r.action == "reclaim"}


def add_activity(
    repo: Repository,
    caller: Caller,
    lead_id: str,
    kind: Literal["note", "call"],
    text: str,
    now: datetime,
) -> Lead:
    """A note or a call: recorded in the history, and it restarts the lead's reclaim clock (the lead, then
    the event: ``save_care``, at the cost floor of a care activity)."""
    lead = get_lead(repo, caller, lead_id)
    update: dict[str, Any] = {"last_activity_at": now}
    if lead.status is LeadStatus.ASSIGNED:
        update["idle_since"] = now
    event = LeadEvent(at=now, kind=kind, by=caller.label, text=text)
    return repo.save_care(lead, changed(lead, **update), event)


def delete_lead(repo: Repository, caller: Caller, lead_id: str, now: datetime) -> Lead:
    """Soft delete (admins, team leads): the lead leaves every queue and listing; record and history stay.

    Its contact claims are released in the same write, so the customer's next enquiry is a new lead
    that rotation assigns, instead of a link to a lead nobody works. ``restore_lead`` undoes it.
    """
    if caller.role == "staff":
        raise NotAllowed("only an admin or a team lead can delete a lead")
    lead = get_lead(repo, caller, lead_id)
    held = repo.contact_holders(lead.tenant_id, contact_keys(lead.phone, lead.email))
    mine = [c for c, holder in held.items() if holder == lead.lead_id]
    after = changed(lead, status=LeadStatus.DELETED, deleted_at=now)
    data: dict[str, str | int | None] = {"released": ",".join(contact_field(c) for c in mine)}
    event = LeadEvent(at=now, kind="deleted", by=caller.label, data=data)
    return repo.save_lead(lead, after, event, release=mine)


def restore_lead(repo: Repository, caller: Caller, lead_id: str, now: datetime) -> Lead:
    """Undo a delete (admins, team leads): pending again, queued now, and its contacts claimed again.

    One transaction; a contact that a newer lead took meanwhile is a 409 naming it (the newer lead is
    the customer's current one: merge by hand). A lead that entered as a rotate duplicate of a lead
    that still holds the contact stays a duplicate of it.
    """
    if caller.role == "staff":
        raise NotAllowed("only an admin or a team lead can restore a lead")
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or not visible(repo, caller, lead):
        raise NotFound(f"lead {lead_id} not found")
    if lead.status is not LeadStatus.DELETED:
        raise Conflict(f"lead {lead_id} is not deleted")
    contacts = contact_keys(lead.phone, lead.email)
    found = sort_holders(repo, lead.tenant_id, repo.contact_claims(lead.tenant_id, contacts), lead.lead_id)
    taken = next(((c, h) for c, h in found.live.items() if h.lead_id != lead.duplicate_of), None)
    if taken is not None:
        raise ContactTaken(contact_field(taken[0]), taken[1].lead_id)
    _refuse_in_flight(found)
    decisions = list(lead.decisions)
    if lead.owner:  # its former owner's hold ends here: the rule in charge assigns it afresh
        decisions.append(
            Decision(at=now, action="released", previous_owner=lead.owner, reason="restored", by=caller.label)
        )
    after = changed(
        lead,
        status=LeadStatus.PENDING,
        owner=None,
        assignees=[],
        idle_since=None,
        escalated_at=None,
        deleted_at=None,
        queued_at=now,
        decisions=decisions,
    )
    event = LeadEvent(at=now, kind="restored", by=caller.label)
    claim = [c for c in contacts if c not in found.live]
    return repo.save_lead(lead, after, event, claim=claim, replacing=found.stale)


def put_in_campaign(
    repo: Repository, caller: Caller, campaign: str, lead_ids: Sequence[str], now: datetime
) -> dict[str, Any]:
    """CRMOnline's mass update: the leads join the campaign as "Lead gán tự động" for its rule to split.

    Each lead is its own conditional write, so one that changed meanwhile is reported, not clobbered.
    A lead someone held is released in that same write (a "released" decision naming the former
    owner), so its history says why the owner lost it.
    """
    if caller.role == "staff":
        raise NotAllowed("staff cannot run a mass update")
    if len(lead_ids) > MAX_BATCH:
        raise InvalidInput("too many leads", {"lead_ids": f"at most {MAX_BATCH} per request"})
    updated: list[str] = []
    skipped: list[dict[str, str]] = []
    for lead_id in dict.fromkeys(lead_ids):
        try:
            lead = get_lead(repo, caller, lead_id)
            decisions = list(lead.decisions)
            if lead.owner:
                release = Decision(
                    at=now, action="released", previous_owner=lead.owner, reason=MOVED, by=caller.label
                )
                decisions.append(release)
            after = changed(
                lead,
                campaign=campaign,
                status=LeadStatus.PENDING,
                owner=None,
                assignees=[],
                queued_at=now,
                decisions=decisions,
            )
            data: dict[str, str | int | None] = {"campaign": campaign, "from_owner": lead.owner}
            event = LeadEvent(at=now, kind="campaign", by=caller.label, data=data)
            repo.save_lead(lead, after, event)
            updated.append(lead_id)
        except (NotFound, Conflict) as error:
            skipped.append({"lead_id": lead_id, "reason": str(error)})
    return {"campaign": campaign, "updated": len(updated), "lead_ids": updated, "skipped": skipped}


def release_leads_of(repo: Repository, tenant_id: str, staff_id: str, reason: str, now: datetime) -> int:
    """Put a staff member's open leads back into rotation (e.g. when they are deactivated).

    Each goes back to pending in its own scope with a "released" decision; the rule in charge gives it
    to someone else on its next tick. Returns how many were released.
    """
    released = 0
    for lead in repo.owner_leads(tenant_id, staff_id):
        after = changed(
            lead,
            status=LeadStatus.PENDING,
            owner=None,
            assignees=[],
            # queued_at is kept: the lead already waited its delay, so it is due at once
            decisions=[
                *lead.decisions,
                Decision(at=now, action="released", previous_owner=staff_id, reason=reason),
            ],
        )
        try:
            repo.save_lead(lead, after, LeadEvent(at=now, kind="released", data={"reason": reason}))
            released += 1
        except Conflict:
            continue  # changed meanwhile (reassigned, cared for): no longer this staff member's to release
    return released


#: Filters on the lead's first touch (``attribution.first``); the data layer applies them like the others.
FIRST_TOUCH_FILTERS = ("utm_source", "utm_campaign")


def first_touch_matches(lead: Lead, filters: Mapping[str, str]) -> bool:
    """Whether the lead's first touch has the filters' utm_source / utm_campaign (for in-memory lists)."""
    first = lead.attribution.first if lead.attribution else None
    return all(
        first is not None and getattr(first, name) == filters[name]
        for name in FIRST_TOUCH_FILTERS
        if name in filters
    )


def list_leads(
    repo: Repository,
    caller: Caller,
    filters: dict[str, str],
    received_from: datetime | None,
    received_to: datetime | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Lead], Cursor | None]:
    """A page of the leads the caller may see. Staff see only theirs: the owner filter is forced."""
    if caller.role == "staff":
        if filters.get("owner") not in (None, caller.staff_id):
            return [], None
        filters = {**filters, "owner": caller.staff_id or ""}
    leads, cursor = repo.list_leads(
        caller.tenant_id,
        received_from=received_from,
        received_to=received_to,
        filters=filters,
        limit=limit,
        start=cursor,
    )
    shown = [x for x in leads if x.status is not LeadStatus.DELETED or filters.get("status") == "deleted"]
    if caller.role == "team_lead":
        shown = [x for x in shown if visible(repo, caller, x)]
    return shown, cursor


@dataclass(frozen=True)
class ReclaimClock:
    """Where an open lead stands on its owner's reclaim clock (the reclaim rule in charge of its scope)."""

    due_at: datetime | None  # None: not that much working time within the clock's horizon
    left: timedelta  # working time left before it is due
    running: bool  # whether the owner's working time runs now (on shift, not away)


def reclaim_clocks(
    repo: Repository, tenant_id: str, leads: Sequence[Lead], now: datetime
) -> dict[str, ReclaimClock]:
    """Each open lead's reclaim clock, by lead id; leads no active reclaim rule watches are left out.

    The same working-time arithmetic the reclaim sweep uses (``RuleClocks``), so the time a salesperson
    sees left is the time the sweep gives them. Costs one rules read, one staff read and one calendar
    read per call, none when no listed lead is open.
    """
    open_leads = [x for x in leads if x.status is LeadStatus.ASSIGNED and x.owner and x.idle_since]
    if not open_leads:
        return {}
    in_charge, _ = rules_in_charge(
        r for r in repo.list_rules(tenant_id) if r.active and r.action == "reclaim"
    )
    by_scope = {r.scope.key: r for r in in_charge}
    watched = [x for x in open_leads if x.scope_key in by_scope]
    if not watched:
        return {}
    rules = {x.scope_key: by_scope[x.scope_key] for x in watched}
    wanted = {s.staff_id for r in rules.values() for s in r.staff} | {x.owner for x in watched if x.owner}
    members = repo.get_staff(tenant_id, sorted(wanted))
    calendar = tenant_calendar(repo, tenant_id)
    clocks = {key: RuleClocks.of(r, members, calendar, now) for key, r in rules.items()}
    found: dict[str, ReclaimClock] = {}
    for lead in watched:
        clock = clocks[lead.scope_key]
        idle_since = lead.idle_since or now
        due_at = clock.reclaim_due_at(lead.owner, idle_since)
        left = clock.reclaim_time_left(lead.owner, idle_since, due_at)
        found[lead.lead_id] = ReclaimClock(due_at=due_at, left=left, running=clock.owner_working(lead.owner))
    return found
