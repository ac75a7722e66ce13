"""A tenant (one company): its time zone, the escalation clock of unrouted leads, holidays, alerts."""

from __future__ import annotations

from pydantic import (
    Field,
    StrictInt,
    field_validator,
)

from leadrouter.domain.alerts import EscalationAlerts
from leadrouter.domain.base import Ident, Name, _Model
from leadrouter.domain.holidays import HolidayCalendar
from leadrouter.domain.privacy import PrivacySettings
from leadrouter.domain.zones import DEFAULT_TIME_ZONE, check_zone


class Tenant(_Model):
    tenant_id: Ident
    name: Name
    time_zone: str = DEFAULT_TIME_ZONE
    #: A pending lead that no rule is in charge of (no rule for its scope, window closed) is escalated
    #: after this long, with the reason, instead of waiting silently.
    escalate_after_minutes: StrictInt = Field(default=120, ge=1, le=30 * 24 * 60)
    holidays: HolidayCalendar = Field(default_factory=HolidayCalendar)
    #: Who is told when a lead is escalated (webhooks, e-mail).
    alerts: EscalationAlerts = Field(default_factory=EscalationAlerts)
    #: Purposes and notices, retention, calling hours (the tenant is the controller).
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    rev: int = 0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)
