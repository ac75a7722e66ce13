"""Whether a lead may be called for advertising now, and if not, why (pure: no I/O).

Decree 91/2020/ND-CP on advertising calls: only with the person's prior consent, never to a number on
the Do-Not-Call register, at most one advertising call per recipient per 24 hours, and only between
08:00 and 17:00 on the recipient's clock unless they agreed otherwise. Vietnam's personal data law
adds that a restricted or objected lead is not worked. The rotation still hands such a lead out (for
follow-up that is not a call), but its decision says ``call_allowed: false`` with the reason, so a
dialer does not ring.

The calling hours are a schedule on the working-time clock (``domain.worktime``): the same arithmetic
that counts shifts, daylight saving time included, says when the hours are open and when they next are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files
from zoneinfo import ZoneInfo

import phonenumbers

from leadrouter.domain.consent import CALL, ConsentRecord, Restriction, granted
from leadrouter.domain.privacy import CallingHours
from leadrouter.domain.worktime import Interval, Schedule, clip, local_instant, merge

#: Decree 91/2020, art. 12: at most one advertising call to a recipient within 24 hours.
CALL_GAP = timedelta(hours=24)


class DoNotCallOrigin(StrEnum):
    """Which list a number is on: the tenant's own, or the national register the tenant uploaded."""

    TENANT = "tenant"
    NATIONAL = "national"


class CallBar(StrEnum):
    """Why a lead may not be called now (the decision's ``call_reason``), strongest first."""

    RESTRICTED = "restricted"  # a data-subject request restricts or objects to processing
    NO_CONSENT = "no_call_consent"  # no granted consent for purpose ``call`` (unknown is never granted)
    NO_PHONE = "no_phone"
    DO_NOT_CALL = "do_not_call"  # on the tenant's Do-Not-Call list
    NATIONAL_DO_NOT_CALL = "national_do_not_call"  # on the national register the tenant uploaded
    CALLED_WITHIN_24H = "called_within_24h"
    OUTSIDE_CALLING_HOURS = "outside_calling_hours"
    CHECK_FAILED = "call_check_failed"  # the lists could not be read: never call on a guess


@dataclass(frozen=True)
class CallPermission:
    """The answer: allowed, or why not; ``allowed_from`` when only time stands in the way."""

    allowed: bool
    reason: CallBar | None = None
    allowed_from: datetime | None = None


ALLOWED = CallPermission(allowed=True)


@dataclass(frozen=True)
class CallingSchedule(Schedule):
    """The calling hours every day, on ``zone``'s wall clock (holidays are not excluded: the decree
    sets hours, not working days)."""

    zone: str
    hours: CallingHours

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        if end <= start:
            return []
        zone = _zone(self.zone)
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        spans = [
            span
            for day in days
            for span in _on_the_wall(
                zone,
                self.hours.start,
                local_instant(day, self.hours.start, zone),
                local_instant(day, self.hours.end, zone),
            )
        ]
        return merge(clip(spans, start, end))


def _on_the_wall(zone: ZoneInfo, opening: time, opens: datetime, closes: datetime) -> list[Interval]:
    """The day's span, less the stretch after the clocks go back inside it during which they read
    before ``opening`` again (hours that straddle the repeated hour of daylight saving time's end), so
    every instant of a span reads inside the hours on the wall."""
    before = opens.astimezone(zone).utcoffset()
    if closes <= opens or before == closes.astimezone(zone).utcoffset():
        return [(opens, closes)]
    lo, hi = int(opens.timestamp()), int(closes.timestamp())  # the offset changes in (lo, hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    change = datetime.fromtimestamp(hi, UTC)
    wall = change.astimezone(zone)
    behind = datetime.combine(wall.date(), opening) - wall.replace(tzinfo=None)
    if behind <= timedelta(0):  # the clocks went forward, or back to a time still inside the hours
        return [(opens, closes)]
    return [(opens, change), (min(change + behind, closes), closes)]


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _country_zones() -> dict[str, str]:
    """Countries that have one time zone (the tz database's ``zone.tab``, committed so every machine
    reads the same): ISO 3166 code → IANA zone."""
    text = (files("leadrouter.domain") / "country_zones.txt").read_text("utf-8")
    return dict(line.split(" ", 1) for line in text.splitlines() if line.strip())


COUNTRY_ZONES: Mapping[str, str] = _country_zones()


def customer_zone(phone: str | None, tenant_zone: str) -> str:
    """The customer's time zone: their phone's country when that country has one zone, else the
    tenant's (a US or Australian number says no more than the tenant's own clock does)."""
    if phone:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            region = None
        if region and region in COUNTRY_ZONES:
            return COUNTRY_ZONES[region]
    return tenant_zone


def needs_lists(
    consents: Mapping[str, ConsentRecord], restriction: Restriction | None, phone: str | None
) -> bool:
    """Whether the Do-Not-Call lists and the call log must be read to answer (the lead is not barred
    already): a sweep reads them only for these leads."""
    return restriction is None and granted(consents, CALL) and bool(phone)


def call_permission(
    *,
    consents: Mapping[str, ConsentRecord],
    restriction: Restriction | None,
    phone: str | None,
    do_not_call: Collection[DoNotCallOrigin],
    last_call_at: datetime | None,
    hours: CallingHours,
    zone: str,
    now: datetime,
) -> CallPermission:
    """Whether an advertising call to the lead is allowed at ``now``.

    ``do_not_call``: the lists its phone is on; ``last_call_at``: the last advertising call to its phone
    (any lead's); ``zone``: the customer's (``customer_zone``); ``hours``: the tenant's, unless the call
    consent names hours the person agreed to. Barred for good (restriction, consent,
    no phone, a list): no ``allowed_from``. Barred for now (24 h, hours): ``allowed_from`` is the first
    instant both the 24 hours have passed and the hours are open (None: not within the clock's horizon).
    """
    if restriction is not None:
        return CallPermission(allowed=False, reason=CallBar.RESTRICTED)
    if not granted(consents, CALL):
        return CallPermission(allowed=False, reason=CallBar.NO_CONSENT)
    if not phone:
        return CallPermission(allowed=False, reason=CallBar.NO_PHONE)
    if DoNotCallOrigin.TENANT in do_not_call:
        return CallPermission(allowed=False, reason=CallBar.DO_NOT_CALL)
    if DoNotCallOrigin.NATIONAL in do_not_call:
        return CallPermission(allowed=False, reason=CallBar.NATIONAL_DO_NOT_CALL)
    earliest = now if last_call_at is None else max(now, last_call_at + CALL_GAP)
    agreed = consents[CALL].agreed_hours
    if agreed is not None:  # the person agreed to other hours: theirs, not the tenant's
        hours = CallingHours(start=agreed.start, end=agreed.end)
    schedule = CallingSchedule(zone=zone, hours=hours)
    opens = schedule.next_start(earliest)
    if opens == now:
        return ALLOWED
    reason = CallBar.CALLED_WITHIN_24H if earliest > now else CallBar.OUTSIDE_CALLING_HOURS
    return CallPermission(allowed=False, reason=reason, allowed_from=opens)
