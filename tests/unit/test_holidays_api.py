"""/holidays: each tenant's holiday calendar, read per year and replaced whole by its admins — on moto."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.errors import Conflict
from leadrouter.domain.holidays import HolidayCalendar
from leadrouter.domain.staff import WorkingHours
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.admin import holidays
from leadrouter.logic.routing.clocks import rule_clocks
from tests.support.api import call_as, claims, config_items, frozen_api_clock
from tests.support.builders import NOW, TENANT, rule, staff

OTHER = "globex"
OTHER_ADMIN = claims("admin", tenant=OTHER)
ADMIN_CALLER = Caller(tenant_id=TENANT, role="admin")
#: Tết 2027 (the Year of the Goat begins on Saturday 6 February), as Vietnam's calendar names it.
TET_2027 = {
    "2027-02-05": "Giao thừa Tết Nguyên Đán",
    "2027-02-06": "Tết Nguyên Đán",
    "2027-02-07": "Mùng hai Tết Nguyên Đán",
    "2027-02-08": "Mùng ba Tết Nguyên Đán",
}
#: One change of each kind: a company day added, the day before New Year's Eve worked.
CHANGED = {
    "country": "VN",
    "added": [{"day": "2027-02-11", "name": "Nghỉ thêm Tết của công ty"}],
    "removed": ["2027-02-04"],
}


def _days(reply_body: dict[str, Any]) -> dict[str, str]:
    return {h["day"]: h["name"] for h in reply_body["holidays"]}


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    return frozen_api_clock(monkeypatch, NOW)


@pytest.fixture
def acme(moto_repo: Repository) -> Repository:
    """acme has a stored tenant item (with a non-default escalation time); globex has none."""
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", escalate_after_minutes=15))
    return moto_repo


# ------------------------------------------------------------------ read
@pytest.mark.parametrize("stored", [True, False], ids=["tenant item", "no tenant item"])
def test_the_default_calendar_is_vietnams_with_tet_named_in_vietnamese(
    moto_repo: Repository, moto_tables: dict[str, str], stored: bool
) -> None:
    # Given a tenant that never set a calendar (with or without a stored tenant item)
    if stored:
        moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
    before = config_items(moto_tables)
    # When its admin reads 2027
    reply = call_as("GET", "/holidays?year=2027")
    # Then the settings are Vietnam's, unchanged, and the year's list holds Tết with Vietnamese names
    assert reply.status == 200
    assert reply.body["settings"] == {"country": "VN", "added": [], "removed": []}
    assert reply.body["year"] == 2027 and reply.body["revision"] == 0
    days = _days(reply.body)
    assert TET_2027.items() <= days.items()
    assert days["2027-01-01"] == "Tết Dương lịch" and days["2027-09-02"] == "Quốc khánh"
    assert {h["origin"] for h in reply.body["holidays"]} == {"country"}
    assert list(days) == sorted(days)
    # …and reading wrote nothing
    assert config_items(moto_tables) == before


def test_the_default_year_is_the_current_one_in_the_tenants_time_zone(
    acme: Repository, api_clock: dict[str, datetime]
) -> None:
    # Given 18:30 UTC on 31 December 2026: already 1 January 2027 in Ho Chi Minh City
    api_clock["now"] = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    # When the admin reads the calendar without a year
    reply = call_as("GET", "/holidays")
    # Then it is 2027's
    assert reply.status == 200 and reply.body["year"] == 2027
    assert reply.body["time_zone"] == "Asia/Ho_Chi_Minh" and "2027-02-06" in _days(reply.body)


@pytest.mark.parametrize("year", ["1999", "2200", "next", "2027.5"])
def test_a_year_out_of_range_or_not_a_year_is_422(moto_repo: Repository, year: str) -> None:
    reply = call_as("GET", f"/holidays?year={year}")
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["year"]


# ------------------------------------------------------------------ replace
def test_added_and_removed_days_change_the_calendar(acme: Repository) -> None:
    # Given acme on the default calendar
    # When the admin adds a company day after Tết and works the day before New Year's Eve
    reply = call_as("PUT", "/holidays?year=2027", CHANGED)
    # Then the answer and every later read show the change, at the next revision
    assert reply.status == 200 and reply.body["revision"] == 1
    for body in (reply.body, call_as("GET", "/holidays?year=2027").body):
        days = _days(body)
        assert days["2027-02-11"] == "Nghỉ thêm Tết của công ty" and "2027-02-04" not in days
        assert TET_2027.items() <= days.items()
        origins = {h["day"]: h["origin"] for h in body["holidays"]}
        assert origins["2027-02-11"] == "added" and origins["2027-02-06"] == "country"
        assert body["settings"] == CHANGED
    # …the tenant's other settings are kept
    stored = acme.get_tenant(TENANT)
    assert stored is not None and stored.name == "Acme" and stored.escalate_after_minutes == 15
    assert stored.rev == 1


def test_the_sweeps_clock_follows_the_replaced_calendar(acme: Repository) -> None:
    # Given a member who works 08:00-17:00 every day
    member = staff("A", working_hours=[WorkingHours(start="08:00", end="17:00")])
    the_rule = rule(weights={"A": 1})
    added_day = datetime(2027, 2, 11, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
    worked_day = datetime(2027, 2, 4, 3, 0, tzinfo=UTC)
    before = rule_clocks(acme, the_rule, {"A": member}, added_day).owner("A")
    assert before.is_working(added_day) and not before.is_working(worked_day)
    # When the admin adds 11 February and removes 4 February
    assert call_as("PUT", "/holidays", CHANGED).status == 200
    # Then the clock the sweeps build is off on the added day and on at work on the removed one
    after = rule_clocks(acme, the_rule, {"A": member}, added_day).owner("A")
    assert not after.is_working(added_day) and after.is_working(worked_day)


def test_no_country_leaves_only_the_added_days(acme: Repository) -> None:
    body = {"country": None, "added": [{"day": "2027-06-01", "name": "Ngày hội công ty"}]}
    reply = call_as("PUT", "/holidays?year=2027", body)
    assert reply.status == 200 and _days(reply.body) == {"2027-06-01": "Ngày hội công ty"}
    assert reply.body["settings"] == {"country": None, "added": body["added"], "removed": []}
    assert call_as("GET", "/holidays?year=2026").body["holidays"] == []


def test_another_country_gives_that_countrys_holidays(acme: Repository) -> None:
    reply = call_as("PUT", "/holidays?year=2027", {"country": "DE"})
    assert reply.status == 200 and "2027-10-03" in _days(reply.body) and "2027-02-06" not in _days(reply.body)


def test_repeated_removed_days_are_merged_and_lists_are_kept_in_date_order(acme: Repository) -> None:
    body = {
        "country": "VN",
        "added": [{"day": "2027-12-31", "name": "Cuối năm"}, {"day": "2027-06-01", "name": "Hội"}],
        "removed": ["2027-09-03", "2027-02-04", "2027-09-03"],
    }
    settings = call_as("PUT", "/holidays", body).body["settings"]
    assert [h["day"] for h in settings["added"]] == ["2027-06-01", "2027-12-31"]
    assert settings["removed"] == ["2027-02-04", "2027-09-03"]


def test_sending_the_same_calendar_again_writes_nothing(
    acme: Repository, moto_tables: dict[str, str]
) -> None:
    assert call_as("PUT", "/holidays", CHANGED).body["revision"] == 1
    before = config_items(moto_tables)
    again = call_as("PUT", "/holidays", CHANGED)
    assert again.status == 200 and again.body["revision"] == 1
    assert config_items(moto_tables) == before


def test_a_tenant_without_an_item_gets_one_named_after_it(moto_repo: Repository) -> None:
    # Given globex, which has no tenant item
    assert moto_repo.get_tenant(OTHER) is None
    # When its admin sets a calendar
    reply = call_as("PUT", "/holidays", CHANGED, who=OTHER_ADMIN)
    # Then the tenant item is created with it, at revision 1, with default settings otherwise
    stored = moto_repo.get_tenant(OTHER)
    assert reply.status == 200 and stored is not None and stored.rev == 1
    assert stored.holidays.removed == [date(2027, 2, 4)] and stored.name == OTHER
    assert stored.escalate_after_minutes == Tenant(tenant_id=OTHER, name=OTHER).escalate_after_minutes


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"country": "XX"}, {"country"}),
        ({"country": "vn"}, {"country"}),
        ({"country": 84}, {"country"}),
        ({"added": []}, {"country"}),
        ({"country": "VN", "added": [{"day": "2027-02-30", "name": "Ngày không có"}]}, {"added.0.day"}),
        ({"country": "VN", "added": [{"day": "2027-03-01"}]}, {"added.0.name"}),
        ({"country": "VN", "added": [{"day": "2027-03-01", "name": "  "}]}, {"added.0.name"}),
        ({"country": "VN", "added": [{"day": "2027-03-01", "name": "x", "paid": True}]}, {"added.0.paid"}),
        ({"country": "VN", "added": [{"day": "1999-12-31", "name": "Cũ"}]}, {"added.0.day"}),
        ({"country": "VN", "removed": ["next friday"]}, {"removed.0"}),
        ({"country": "VN", "removed": ["2027-02-04", "2200-01-01"]}, {"removed.1"}),
        ({"country": "VN", "removed": ["2027-01-01"] * 201}, {"removed"}),
        ({"country": "VN", "tenant_id": OTHER}, {"tenant_id"}),
        ({"country": "VN", "holidays": []}, {"holidays"}),
        (
            {
                "country": "VN",
                "added": [{"day": "2027-03-01", "name": "Một"}, {"day": "2027-03-01", "name": "Hai"}],
            },
            {"added.1.day"},
        ),
        (
            {"country": "VN", "added": [{"day": "2027-03-01", "name": "Một"}], "removed": ["2027-03-01"]},
            {"removed.0"},
        ),
        ({"country": "VN", "expected_revision": -1}, {"expected_revision"}),
    ],
)
def test_a_bad_calendar_is_422_naming_each_field_and_nothing_is_written(
    acme: Repository, moto_tables: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    # Given acme's stored tenant item
    before = config_items(moto_tables)
    # When the admin sends a bad calendar
    reply = call_as("PUT", "/holidays", body)
    # Then the answer names exactly the bad fields, and nothing changed
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == fields
    assert all(e["message"] for e in reply.body["errors"])
    assert config_items(moto_tables) == before


# ------------------------------------------------------------------ who may
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (claims("staff", staff_id="A"), 403),
        (claims("team_lead", staff_id="L", team="north"), 403),
        (None, 401),
    ],
    ids=["staff", "team lead", "no token"],
)
def test_only_admins_read_or_replace_the_calendar(
    acme: Repository, moto_tables: dict[str, str], who: dict[str, str] | None, status: int
) -> None:
    before = config_items(moto_tables)
    assert call_as("GET", "/holidays", who=who).status == status
    assert call_as("PUT", "/holidays", CHANGED, who=who).status == status
    assert config_items(moto_tables) == before


def test_one_tenants_calendar_never_touches_anothers(acme: Repository) -> None:
    # Given acme and globex on the default calendar
    # When globex's admin drops Vietnam's calendar
    assert call_as("PUT", "/holidays", {"country": None}, who=OTHER_ADMIN).status == 200
    # Then acme still has Vietnam's, and globex has none
    assert TET_2027.items() <= _days(call_as("GET", "/holidays?year=2027").body).items()
    assert call_as("GET", "/holidays?year=2027", who=OTHER_ADMIN).body["holidays"] == []
    acme_tenant = acme.get_tenant(TENANT)
    assert acme_tenant is not None and acme_tenant.holidays == HolidayCalendar() and acme_tenant.rev == 0


# ------------------------------------------------------------------ concurrent changes
def test_a_stale_expected_revision_is_409_and_nothing_is_written(
    acme: Repository, moto_tables: dict[str, str]
) -> None:
    # Given an admin who read revision 0, and another who saved revision 1 since
    assert call_as("GET", "/holidays").body["revision"] == 0
    assert call_as("PUT", "/holidays", CHANGED).body["revision"] == 1
    before = config_items(moto_tables)
    # When the first saves what they edited from revision 0
    reply = call_as("PUT", "/holidays", {"country": None, "expected_revision": 0})
    # Then it is refused, and the other admin's calendar stays; with the current revision it goes through
    assert reply.status == 409 and "revision 1" in reply.body["message"]
    assert config_items(moto_tables) == before
    assert call_as("PUT", "/holidays", {"country": None, "expected_revision": 1}).body["revision"] == 2


@pytest.mark.parametrize("stored", [True, False], ids=["tenant item", "no tenant item"])
def test_a_write_that_lost_a_race_is_409_and_keeps_the_winners_calendar(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, stored: bool
) -> None:
    # Given acme (with or without a tenant item), and another admin whose save lands just after our read
    if stored:
        moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
    real_read = Repository.get_tenant
    winner = holidays.HolidaysIn(country=None)

    def read_then_another_admin_saves(self: Repository, tenant_id: str) -> Tenant | None:
        seen = real_read(self, tenant_id)
        monkeypatch.setattr(Repository, "get_tenant", real_read)
        holidays.replace_calendar(self, ADMIN_CALLER, winner, NOW)
        return seen

    monkeypatch.setattr(Repository, "get_tenant", read_then_another_admin_saves)
    # When our replacement is written on the stale read
    reply = call_as("PUT", "/holidays", CHANGED)
    # Then it is a 409, and the stored calendar is the other admin's
    assert reply.status == 409
    tenant = moto_repo.get_tenant(TENANT)
    assert tenant is not None and tenant.holidays == HolidayCalendar(country=None) and tenant.rev == 1


def test_a_stale_tenant_write_through_the_logic_layer_is_refused(acme: Repository) -> None:
    # Given the tenant read by one writer, then changed by another
    stale = acme.get_tenant(TENANT)
    assert stale is not None
    holidays.replace_calendar(acme, ADMIN_CALLER, holidays.HolidaysIn(country="DE"), NOW)
    # When the first writes on its stale read (and a second creation of an existing item is tried)
    with pytest.raises(Conflict):
        acme.save_tenant(stale, stale.model_copy(update={"holidays": HolidayCalendar(country=None)}))
    with pytest.raises(Conflict):
        acme.save_tenant(None, Tenant(tenant_id=TENANT, name=TENANT))
    # Then the second writer's calendar stays
    current = acme.get_tenant(TENANT)
    assert current is not None and current.holidays.country == "DE" and current.name == "Acme"
    assert current.rev == 1
