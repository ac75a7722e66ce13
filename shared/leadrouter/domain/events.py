"""What leadrouter tells the outside world: one domain event per decision written on a lead.

Events are *derived* from a lead's change (the old and new images of its item on the leads table's
stream), never from a sweep's memory: the decision that an event reports is written in the same
conditional write as the change itself, so a sweep that crashes after that write still yields its
event, and a replayed stream record yields the same event again with the same ``event_id`` (receivers
dedupe on it). Deriving costs no write on the assignment path.

An event carries ids, labels and timings only: never the lead's name, phone, email or form fields.
Each type has a versioned JSON Schema (``docs/events/``); a breaking change bumps ``schema_version``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from leadrouter.domain.base import Ident, Label, Moment, _Model
from leadrouter.domain.consent import PurposeKey, withdrawn
from leadrouter.domain.leads import Decision, Lead

#: The EventBridge ``source`` of every event leadrouter publishes.
EVENT_SOURCE = "leadrouter"
SCHEMA_VERSION: Literal[1] = 1


class EventType(StrEnum):
    LEAD_RECEIVED = "LeadReceived"
    LEAD_ASSIGNED = "LeadAssigned"
    LEAD_RECLAIMED = "LeadReclaimed"
    LEAD_ESCALATED = "LeadEscalated"
    LEAD_RELEASED = "LeadReleased"
    CONSENT_WITHDRAWN = "ConsentWithdrawn"


class _LeadEvent(_Model):
    """Fields every event has. ``event_id`` is stable across replays: ``<lead_id>-<n>``, where n is 0
    for the lead's arrival and i + 1 for the i-th decision on the lead."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: Annotated[str, Field(min_length=3, max_length=80)]
    tenant_id: Ident
    lead_id: Ident
    occurred_at: Moment
    received_at: Moment
    #: Wall time from the lead's arrival to this event (speed to lead for LeadAssigned).
    seconds_since_received: Annotated[float, Field(ge=0)]
    pool: Label
    step: Label
    campaign: Label | None = None
    #: The form source the lead came in through.
    source: str | None = None


class LeadReceived(_LeadEvent):
    type: Literal[EventType.LEAD_RECEIVED] = EventType.LEAD_RECEIVED
    #: The live lead with the same phone or email, when the pool rotates duplicates.
    duplicate_of: Ident | None = None


class _CallAdvice(_Model):
    """Whether the new owner may make an advertising call (``domain.calling``): a dialer integration
    calls only on ``call_allowed: true``, whether a rule or a person gave the lead. None: not checked
    (decisions older than the check), so not allowed either. ``call_reason`` says why not,
    ``call_allowed_from`` from when."""

    call_allowed: bool | None = None
    call_reason: str | None = None
    call_allowed_from: Moment | None = None


class LeadAssigned(_LeadEvent, _CallAdvice):
    """A rule's rotation gave the lead to ``staff_id`` (``manual``: an admin chose, ``by`` says who)."""

    type: Literal[EventType.LEAD_ASSIGNED] = EventType.LEAD_ASSIGNED
    staff_id: Ident
    rule_id: Ident | None = None
    rule_version: int | None = None
    manual: bool = False
    by: str | None = None
    previous_owner: Ident | None = None


class LeadReclaimed(_LeadEvent, _CallAdvice):
    """Nobody cared for the lead in time: taken from ``previous_owner`` and given to ``staff_id``."""

    type: Literal[EventType.LEAD_RECLAIMED] = EventType.LEAD_RECLAIMED
    staff_id: Ident
    previous_owner: Ident | None = None
    rule_id: Ident | None = None
    rule_version: int | None = None
    reclaim_count: int = 0
    reason: str | None = None


class LeadEscalated(_LeadEvent):
    """No rule can give the lead to anyone (or it was reclaimed too often): a person must act."""

    type: Literal[EventType.LEAD_ESCALATED] = EventType.LEAD_ESCALATED
    reason: str | None = None
    previous_owner: Ident | None = None
    rule_id: Ident | None = None
    rule_version: int | None = None


class LeadReleased(_LeadEvent):
    """The lead went back to the queue (its owner was deactivated, it was restored, ...)."""

    type: Literal[EventType.LEAD_RELEASED] = EventType.LEAD_RELEASED
    previous_owner: Ident | None = None
    reason: str | None = None
    by: str | None = None


class ConsentWithdrawn(_LeadEvent):
    """The person no longer consents to ``purpose`` (they withdrew it, or a staff member recorded their
    refusal): stop pursuing it now. Ids and the purpose only, never who the person is."""

    type: Literal[EventType.CONSENT_WITHDRAWN] = EventType.CONSENT_WITHDRAWN
    purpose: PurposeKey
    #: ``withdrawal`` (the person took it back) or ``staff`` (a refusal recorded by a staff member), ...
    method: Annotated[str, Field(min_length=1, max_length=20)]


DomainEvent = Annotated[
    LeadReceived | LeadAssigned | LeadReclaimed | LeadEscalated | LeadReleased | ConsentWithdrawn,
    Field(discriminator="type"),
]
DOMAIN_EVENT: TypeAdapter[DomainEvent] = TypeAdapter(DomainEvent)
EVENT_MODELS: dict[EventType, type[_LeadEvent]] = {
    EventType.LEAD_RECEIVED: LeadReceived,
    EventType.LEAD_ASSIGNED: LeadAssigned,
    EventType.LEAD_RECLAIMED: LeadReclaimed,
    EventType.LEAD_ESCALATED: LeadEscalated,
    EventType.LEAD_RELEASED: LeadReleased,
    EventType.CONSENT_WITHDRAWN: ConsentWithdrawn,
}


def event_id(lead_id: str, n: int) -> str:
    return f"{lead_id}-{n}"


def consent_event_id(lead_id: str, purpose: str, at: datetime) -> str:
    """``<lead_id>-c<12 hex>``: the same withdrawal (purpose and time) has the same id on every replay."""
    digest = hashlib.sha256(f"{purpose}#{at.isoformat()}".encode()).hexdigest()[:12]
    return f"{lead_id}-c{digest}"


def events_of_change(old: Lead | None, new: Lead | None) -> list[DomainEvent]:
    """The events a change of one lead item means: its arrival, then each decision appended to it,
    then each purpose whose grant the change took away (``ConsentWithdrawn``).

    Decisions are only ever appended, so the new ones are those past the old image's count. A change
    with no new decision nor lost grant (a care activity, an edit, a touch) means no event; a removed
    item neither.
    """
    if new is None:
        return []
    found: list[DomainEvent] = []
    if old is None:
        found.append(LeadReceived(**_common(new, 0, new.received_at), duplicate_of=new.duplicate_of))
    start = len(old.decisions) if old is not None else 0
    for index, decision in enumerate(new.decisions[start:], start=start):
        event = _decision_event(new, index + 1, decision, new.decisions[:index])
        if event is not None:
            found.append(event)
    if old is not None:
        for purpose in withdrawn(old.consents, new.consents):
            record = new.consents.get(purpose)
            if record is None:  # never dropped by a merge; nothing to date the change by
                continue
            common = _common(new, 0, record.at)
            common["event_id"] = consent_event_id(new.lead_id, purpose, record.at)
            found.append(ConsentWithdrawn(**common, purpose=purpose, method=record.method.value))
    return found


def _decision_event(
    lead: Lead, n: int, decision: Decision, earlier: Sequence[Decision]
) -> DomainEvent | None:
    common = _common(lead, n, decision.at)
    rule = {"rule_id": decision.rule_id, "rule_version": decision.rule_version}
    call = {
        "call_allowed": decision.call_allowed,
        "call_reason": decision.call_reason,
        "call_allowed_from": decision.call_allowed_from,
    }
    if decision.action in ("assigned", "manual") and decision.staff_id:
        return LeadAssigned(
            **common,
            **rule,
            **call,
            staff_id=decision.staff_id,
            manual=decision.action == "manual",
            by=decision.by,
            previous_owner=decision.previous_owner,
        )
    if decision.action == "reclaimed" and decision.staff_id:
        reclaims = sum(1 for d in (*earlier, decision) if d.action == "reclaimed")
        return LeadReclaimed(
            **common,
            **rule,
            **call,
            staff_id=decision.staff_id,
            previous_owner=decision.previous_owner,
            reclaim_count=reclaims,
            reason=decision.reason,
        )
    if decision.action == "escalated":
        return LeadEscalated(**common, **rule, reason=decision.reason, previous_owner=decision.previous_owner)
    if decision.action == "released":
        return LeadReleased(
            **common, previous_owner=decision.previous_owner, reason=decision.reason, by=decision.by
        )
    return None


def _common(lead: Lead, n: int, at: datetime) -> dict[str, object]:
    return {
        "event_id": event_id(lead.lead_id, n),
        "tenant_id": lead.tenant_id,
        "lead_id": lead.lead_id,
        "occurred_at": at,
        "received_at": lead.received_at,
        "seconds_since_received": max(0.0, round((at - lead.received_at).total_seconds(), 3)),
        "pool": lead.pool,
        "step": lead.step,
        "campaign": lead.campaign,
        "source": lead.source,
    }


@dataclass
class PublishResult:
    """What a bus did with a batch of events: a failed event's stream record is retried, so its id and
    reason are kept (the reason is the bus's error code, or the exception's name for a failed call)."""

    published: list[str] = field(default_factory=list)
    #: event id → the last error code
    failed: dict[str, str] = field(default_factory=dict)
