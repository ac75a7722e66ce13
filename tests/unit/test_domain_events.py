"""Domain events from a lead's changes: one per decision, ids stable across replays, no PII."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.domain.events import (
    DOMAIN_EVENT,
    EventType,
    LeadAssigned,
    LeadReceived,
    LeadReclaimed,
    events_of_change,
)
from leadrouter.domain.leads import Decision, Lead
from tests.support.builders import NOW, lead

TYPE_OF_ACTION = {
    "assigned": EventType.LEAD_ASSIGNED,
    "manual": EventType.LEAD_ASSIGNED,
    "reclaimed": EventType.LEAD_RECLAIMED,
    "escalated": EventType.LEAD_ESCALATED,
    "released": EventType.LEAD_RELEASED,
}
STAFF = st.sampled_from(["A", "B", "C", "nv-01"])


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    action = draw(st.sampled_from(sorted(TYPE_OF_ACTION)))
    return Decision(
        at=NOW + timedelta(seconds=draw(st.integers(0, 86_400))),
        action=action,
        rule_id=draw(st.none() | st.just("web-new")),
        rule_version=draw(st.none() | st.integers(1, 9)),
        staff_id=draw(STAFF) if action in ("assigned", "manual", "reclaimed") else draw(st.none() | STAFF),
        previous_owner=draw(st.none() | STAFF),
        reason=draw(st.none() | st.sampled_from(["idle", "no_eligible_staff"])),
        by=draw(st.none() | st.just("admin-1")),
    )


def _images(first: Lead, changes: list[list[Decision]]) -> list[Lead]:
    """The item after its arrival, then after each change that appended some decisions."""
    images = [first]
    for appended in changes:
        images.append(images[-1].model_copy(update={"decisions": [*images[-1].decisions, *appended]}))
    return images


@settings(max_examples=150, deadline=None)
@given(changes=st.lists(st.lists(decisions(), max_size=3), max_size=6), data=st.data())
def test_every_decision_over_any_sequence_of_changes_gives_exactly_one_event_with_a_stable_id(
    changes: list[list[Decision]], data: st.DataObject
) -> None:
    # Given a lead that arrives, then changes several times, each change appending 0..3 decisions
    images = _images(lead(lead_id="L-1"), changes)
    pairs = [(None, images[0]), *itertools.pairwise(images)]

    # When each change (old image, new image) is turned into events, as the stream delivers them
    per_change = [events_of_change(old, new) for old, new in pairs]
    events = [e for found in per_change for e in found]

    # Then there is the arrival, then one event per decision, in order, of the decision's type
    all_decisions = [d for appended in changes for d in appended]
    assert isinstance(events[0], LeadReceived)
    assert [e.type for e in events[1:]] == [TYPE_OF_ACTION[d.action] for d in all_decisions]
    assert [e.occurred_at for e in events[1:]] == [d.at for d in all_decisions]
    # …with distinct ids <lead>-<n>: 0 for the arrival, i + 1 for decision i
    ids = [e.event_id for e in events]
    assert ids == [f"L-1-{n}" for n in range(len(all_decisions) + 1)]
    assert len(set(ids)) == len(ids)
    # …and replaying any change (a stream record delivered again) gives the very same events
    k = data.draw(st.integers(0, len(pairs) - 1), label="replayed change")
    assert events_of_change(*pairs[k]) == per_change[k]
    # …as does reading the whole history at once (a lead first seen with its decisions on it)
    assert [e.event_id for e in events_of_change(None, images[-1])] == ids
    # …and every event reads back from its own JSON (what the bus carries)
    assert all(DOMAIN_EVENT.validate_json(e.model_dump_json()) == e for e in events)


def test_a_change_with_no_new_decision_and_a_removed_lead_mean_no_event() -> None:
    # Given a lead assigned once
    arrived = lead(lead_id="L-2")
    assigned = arrived.model_copy(
        update={"decisions": [Decision(at=NOW, action="assigned", staff_id="A", rule_id="r", rule_version=2)]}
    )
    touched = assigned.model_copy(update={"step": "called"})
    # Then an edit without a decision means nothing, nor does a removed item
    assert events_of_change(assigned, touched) == []
    assert events_of_change(assigned, None) == []
    # …while the assignment itself is a LeadAssigned naming the rule and its version
    (event,) = events_of_change(arrived, assigned)
    assert isinstance(event, LeadAssigned)
    assert (event.staff_id, event.rule_id, event.rule_version, event.manual) == ("A", "r", 2, False)


def test_reclaims_are_counted_and_timings_measured_from_the_arrival() -> None:
    arrived = lead(lead_id="L-3", received_at=NOW)
    history = [
        Decision(at=NOW + timedelta(seconds=0.4), action="assigned", staff_id="A"),
        Decision(at=NOW + timedelta(minutes=30), action="reclaimed", staff_id="B", previous_owner="A"),
        Decision(at=NOW + timedelta(minutes=60), action="reclaimed", staff_id="C", previous_owner="B"),
    ]
    events = events_of_change(arrived, arrived.model_copy(update={"decisions": history}))
    assert [e.seconds_since_received for e in events] == [0.4, 1800.0, 3600.0]
    reclaims = [e for e in events if isinstance(e, LeadReclaimed)]
    assert [(e.previous_owner, e.staff_id, e.reclaim_count) for e in reclaims] == [
        ("A", "B", 1),
        ("B", "C", 2),
    ]


def test_no_event_carries_the_leads_name_phone_or_email() -> None:
    # Given a lead with a name, phone, email and form fields
    arrived = lead(
        lead_id="L-4",
        name="Trần Thị Bích",
        phone="+84912345678",
        email="bich@example.vn",
        attributes={"ghi_chu": "gọi sau 5h"},
    )
    assigned = arrived.model_copy(update={"decisions": [Decision(at=NOW, action="assigned", staff_id="A")]})
    # When its events are serialised as the bus carries them
    text = " ".join(e.model_dump_json() for e in events_of_change(None, assigned))
    # Then none of those appear
    for secret in ("Trần Thị Bích", "912345678", "bich@example.vn", "gọi sau 5h", "ghi_chu"):
        assert secret not in text
