"""The import's pure rules: a row's lead id, owners matched to staff, in-file duplicates, the pace."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadrouter.domain.ids import id_floor
from leadrouter.domain.imports import RowOutcome
from leadrouter.domain.staff import StaffMember
from leadrouter.logic.imports.outcomes import (
    Outcome,
    StaffDirectory,
    email_digest,
    linked_within_file,
    row_lead_id,
)
from leadrouter.logic.imports.rows import Pace

SHA = "ab" * 32
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(st.integers(min_value=2, max_value=1_048_576), moments)
def test_a_rows_lead_id_has_the_systems_shape_and_its_received_time(row: int, at: datetime) -> None:
    made = row_lead_id("acme", SHA, row, at)
    # Then it is shaped like domain.ids.new_id("L", at): the same time prefix, 16 hex digits after it
    assert re.fullmatch(r"L[0-9a-f]{28}", made)
    assert made.startswith(id_floor(at))
    # And it is the same for the same file's row, different for another row, file or tenant
    assert made == row_lead_id("acme", SHA, row, at)
    assert made not in {
        row_lead_id("acme", SHA, row + 1, at),
        row_lead_id("acme", "cd" * 32, row, at),
        row_lead_id("globex", SHA, row, at),
    }


def _member(staff_id: str, name: str, active: bool = True) -> StaffMember:
    return StaffMember(tenant_id="acme", staff_id=staff_id, name=name, active=active)


def test_an_owner_is_matched_by_staff_id_then_email_then_name_among_active_staff() -> None:
    members = [
        _member("hoa", "Nguyễn Thị Hoa"),
        _member("binh", "Trần Văn Bình"),
        _member("binh2", "Tran Van Binh"),
        _member("gone", "Lê Văn Cường", active=False),
    ]
    staff = StaffDirectory.of(
        members, {email_digest("hoa@acme.vn"): "hoa", email_digest("x@acme.vn"): "gone"}
    )
    assert staff.match("hoa").staff_id == "hoa"
    assert staff.match(" HOA@Acme.vn ").staff_id == "hoa"  # an e-mail in any case
    assert staff.match("nguyen thi  HOA").staff_id == "hoa"  # the name, case and accents aside
    assert staff.match("Trần Văn Bình").problem == "ambiguous_owner"  # two members fold to it
    assert staff.match("Lê Văn Cường").problem == "unknown_owner"  # inactive
    assert staff.match("x@acme.vn").problem == "unknown_owner"  # an inactive member's e-mail
    assert staff.match("Ai đó").problem == "unknown_owner"


@st.composite
def rows(draw: st.DrawFn) -> list[Outcome]:
    """Rows in file order, each created (with a lead id) or rejected, with contacts from a small set."""
    count = draw(st.integers(min_value=0, max_value=40))
    made: list[Outcome] = []
    for n in range(2, count + 2):
        rejected = draw(st.booleans())
        contacts = draw(st.lists(st.sampled_from("abcdef"), max_size=2, unique=True))
        made.append(
            Outcome(
                row=n,
                outcome=RowOutcome.REJECTED if rejected else RowOutcome.CREATED,
                lead_id=None if rejected else f"L{n}",
                contacts=contacts,
            )
        )
    return made


@given(rows())
def test_a_row_with_an_earlier_rows_contact_is_linked_to_that_rows_lead(given_rows: list[Outcome]) -> None:
    before = [(o.row, o.outcome, list(o.contacts)) for o in given_rows]
    after = list(linked_within_file(given_rows))
    # Then every row is still there, in order; rejected rows stay rejected
    assert [o.row for o in after] == [row for row, _, _ in before]
    assert [o.row for o in after if o.outcome is RowOutcome.REJECTED] == [
        row for row, outcome, _ in before if outcome is RowOutcome.REJECTED
    ]
    # And a row is linked exactly when an earlier row that is not rejected shares a contact with it,
    # to the lead of the first such row, itself created
    created = {o.lead_id for o in after if o.outcome is RowOutcome.CREATED}
    for i, outcome in enumerate(after):
        if outcome.outcome is RowOutcome.REJECTED:
            continue
        earlier = [
            o
            for o in after[:i]
            if o.outcome is not RowOutcome.REJECTED and set(o.contacts) & set(outcome.contacts)
        ]
        assert (outcome.outcome is RowOutcome.LINKED) == bool(earlier)
        if earlier:
            assert outcome.lead_id in created and outcome.lead_id != f"L{outcome.row}"


def test_the_pace_spaces_rows_on_its_clock_and_without_one_never_waits() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pace = Pace(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pace.wait()
    # Then the first row goes at once, the next ones a quarter second apart
    assert slept == [0.25, 0.25]
    # And after a long pause (the row's own writes took time) nothing is made up for
    now[0] += timedelta(seconds=10).total_seconds()
    pace.wait()
    assert slept == [0.25, 0.25]
    unpaced = Pace(0, clock=lambda: now[0], sleep=sleep)
    unpaced.wait()
    unpaced.wait()
    assert slept == [0.25, 0.25]
