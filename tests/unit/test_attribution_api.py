"""Attribution through the API: GET /leads filters on the first touch; the report per source and campaign."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Decision, Lead, LeadStatus
from leadrouter.logic.reports.distribution import attribution_rows
from tests.support.api import ADMIN, call_as, claims
from tests.support.builders import NOW, lead

PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
STAFF_A = claims("staff", staff_id="A")


def _touch(source: str | None, campaign: str | None, at: datetime = NOW) -> Touch:
    return Touch(utm_source=source, utm_campaign=campaign, at=at)


def _lead(
    first: Touch | None = None,
    latest: Touch | None = None,
    *,
    received_at: datetime = NOW,
    assigned_after: float | None = None,
    **fields: Any,
) -> Lead:
    """A lead received at ``received_at`` (its id says so), with a first/latest touch and, optionally,
    assigned to A ``assigned_after`` seconds later."""
    attribution = Attribution(first=first, latest=latest or first) if first else None
    extra: dict[str, Any] = {}
    if assigned_after is not None:
        at = received_at + timedelta(seconds=assigned_after)
        extra = {
            "status": LeadStatus.ASSIGNED,
            "owner": "A",
            "assignees": ["A"],
            "assigned_at": at,
            "idle_since": at,
            "decisions": [Decision(at=at, action="assigned", rule_id="r-web", rule_version=1, staff_id="A")],
        }
    return lead(
        received_at=received_at,
        lead_id=id_floor(received_at) + secrets.token_hex(8),
        attribution=attribution,
        **extra,
        **fields,
    )


def _listed(who: dict[str, str] = ADMIN, **query: str) -> list[str]:
    reply = call_as("GET", "/leads?" + urlencode(query), who=who)
    assert reply.status == 200, reply.body
    return [item["lead"]["lead_id"] for item in reply.body["items"]]


@pytest.fixture
def leads(moto_repo: Repository) -> dict[str, Lead]:
    """fb/Tết (came back through zalo/Hè), fb/Hè, zalo/Tết assigned to A, and one without attribution."""
    found = {
        "fb_tet": _lead(
            _touch("facebook", "Tết 2027"), _touch("zalo", "Hè 2027", NOW + timedelta(minutes=5))
        ),
        "fb_he": _lead(_touch("facebook", "Hè 2027")),
        "zalo_tet": _lead(_touch("zalo", "Tết 2027"), assigned_after=30),
        "none": _lead(),
    }
    moto_repo.import_leads(list(found.values()))
    return found


def test_utm_source_matches_the_first_touch_only(leads: dict[str, Lead]) -> None:
    # When the admin lists facebook leads, then zalo leads
    facebook = _listed(utm_source="facebook")
    zalo = _listed(utm_source="zalo")
    # Then the lead that came back through zalo stays under facebook, its first touch
    assert sorted(facebook) == sorted([leads["fb_tet"].lead_id, leads["fb_he"].lead_id])
    assert zalo == [leads["zalo_tet"].lead_id]


def test_utm_campaign_matches_exactly_and_combines_with_the_other_filters(leads: dict[str, Lead]) -> None:
    # Given a Vietnamese campaign name, sent decomposed as a Mac may type it
    decomposed = unicodedata.normalize("NFD", "Tết 2027")
    assert sorted(_listed(utm_campaign=decomposed)) == sorted(
        [leads["fb_tet"].lead_id, leads["zalo_tet"].lead_id]
    )
    # Then both filters together, and with status, narrow it; a near miss (case) matches nothing
    assert _listed(utm_campaign="Tết 2027", utm_source="zalo") == [leads["zalo_tet"].lead_id]
    assert _listed(utm_campaign="Tết 2027", status="pending") == [leads["fb_tet"].lead_id]
    assert _listed(utm_campaign="tết 2027") == []


def test_a_staff_member_filters_their_own_leads_on_the_owner_index(leads: dict[str, Lead]) -> None:
    # Given A holds the zalo/Tết lead only: the staff listing runs on the owner_idle index
    assert _listed(STAFF_A, utm_campaign="Tết 2027") == [leads["zalo_tet"].lead_id]
    assert _listed(STAFF_A, utm_source="facebook") == []


@pytest.mark.parametrize(
    "query", [{"utm_source": "x" * 257}, {"utm_campaign": "a\u202eb"}, {"utm_source": "two\nlines"}]
)
def test_a_utm_filter_that_no_touch_could_hold_is_a_422(moto_repo: Repository, query: dict[str, str]) -> None:
    reply = call_as("GET", "/leads?" + urlencode(query))
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == set(query)


def test_the_report_counts_leads_and_speed_per_source_and_first_touch_campaign(moto_repo: Repository) -> None:
    # Given, in the period: 3 leads from the web form on Tết 2027 assigned after 10, 20 and 60 s,
    # 1 web-form lead on Hè 2027 never assigned, 2 leads from the Zalo form with no campaign
    # (assigned after 5 s, and not), and one lead of the previous day (out of the period)
    tet, he = _touch("facebook", "Tết 2027"), _touch("facebook", "Hè 2027")
    moto_repo.import_leads(
        [
            *(
                _lead(tet, _touch("zalo", "Hè 2027"), assigned_after=s, source="web-form")
                for s in (10, 20, 60)
            ),
            _lead(he, source="web-form"),
            _lead(_touch("zalo", None), assigned_after=5, source="zalo-form"),
            _lead(source="zalo-form"),
            _lead(tet, received_at=NOW - timedelta(days=1), source="web-form"),
        ]
    )
    # When the admin asks for the distribution report
    params = {"received_from": to_iso(PERIOD[0]), "received_to": to_iso(PERIOD[1])}
    reply = call_as("GET", "/reports/distribution?" + urlencode(params))
    # Then per source: counts, and speed over the assigned ones (median, nearest-rank p95)
    assert reply.status == 200, reply.body
    assert reply.body["leads"] == 6
    assert reply.body["by_source"] == [
        {
            "source": "web-form",
            "leads": 4,
            "speed_to_lead": {"leads": 3, "median_seconds": 20.0, "p95_seconds": 60.0},
        },
        {
            "source": "zalo-form",
            "leads": 2,
            "speed_to_lead": {"leads": 1, "median_seconds": 5.0, "p95_seconds": 5.0},
        },
    ]
    # …and per first-touch campaign (the later zalo/Hè touch does not move them), none under null, last
    assert reply.body["by_campaign"] == [
        {
            "utm_campaign": "Tết 2027",
            "leads": 3,
            "speed_to_lead": {"leads": 3, "median_seconds": 20.0, "p95_seconds": 60.0},
        },
        {
            "utm_campaign": None,
            "leads": 2,
            "speed_to_lead": {"leads": 1, "median_seconds": 5.0, "p95_seconds": 5.0},
        },
        {
            "utm_campaign": "Hè 2027",
            "leads": 1,
            "speed_to_lead": {"leads": 0, "median_seconds": None, "p95_seconds": None},
        },
    ]


def test_rows_with_equal_counts_are_ordered_by_key_with_null_last() -> None:
    rows = [_lead(source=s) for s in ("b", None, "a")]
    by_source, by_campaign = attribution_rows(rows)
    assert [r.source for r in by_source] == ["a", "b", None]
    assert [(r.utm_campaign, r.leads) for r in by_campaign] == [(None, 3)]


def test_a_staff_member_cannot_read_the_report(moto_repo: Repository) -> None:
    params = {"received_from": to_iso(PERIOD[0]), "received_to": to_iso(PERIOD[1])}
    assert call_as("GET", "/reports/distribution?" + urlencode(params), who=STAFF_A).status == 403


def test_unrouted_listing_applies_the_utm_filters_too(moto_repo: Repository, leads: dict[str, Lead]) -> None:
    # Given no rule at all: every pending lead is unrouted (no_rule)
    # When the admin lists unrouted facebook leads
    found = _listed(unrouted="true", utm_source="facebook")
    # Then only the pending facebook ones are listed
    assert sorted(found) == sorted([leads["fb_tet"].lead_id, leads["fb_he"].lead_id])
