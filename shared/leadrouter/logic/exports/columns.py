"""The export's columns, in order, and one lead as a row of cells.

The headers are exact: the customer-list import maps them back, so an export re-imports as it is.
Cells are typed for the writers (``writing``): a ``Phone`` stays text, a ``datetime`` (already in the
tenant's zone) becomes a date, anything else is text or a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers

from leadrouter.domain.exports import ExportLanguage
from leadrouter.domain.leads import STATUS_LABELS_EN, STATUS_LABELS_VI, DecisionAction, Lead


@dataclass(frozen=True, slots=True)
class Phone:
    """A lead's phone as stored (E.164): written as text, so Excel keeps its leading + (or 0)."""

    number: str

    def international(self) -> str:
        """``+84 91 234 56 78``; the stored text when it does not parse (an old or damaged item)."""
        try:
            parsed = phonenumbers.parse(self.number, None)
        except phonenumbers.NumberParseException:
            return self.number
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


Cell = str | int | datetime | Phone | None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    vi: str
    en: str

    def header(self, language: ExportLanguage) -> str:
        return self.vi if language == "vi" else self.en


LEAD_COLUMNS: tuple[Column, ...] = (
    Column("lead_id", "Mã lead", "Lead id"),
    Column("name", "Họ tên", "Name"),
    Column("phone", "Số điện thoại", "Phone"),
    Column("email", "Email", "Email"),
    Column("status", "Trạng thái", "Status"),
    Column("owner", "Nhân viên phụ trách", "Owner"),
    Column("pool", "Kho dữ liệu", "Pool"),
    Column("step", "Bước", "Step"),
    Column("campaign", "Chiến dịch", "Campaign"),
    Column("source", "Nguồn", "Source"),
    Column("received_at", "Ngày nhận", "Received at"),
    Column("assigned_at", "Ngày giao", "Assigned at"),
    Column("history", "Lịch sử", "History"),
)

#: The first touch's attribution (``domain.attribution.Touch``), headed by its technical names in both
#: languages (what ad platforms and analytics call them). Meta's browser cookies (fbc, fbp) are left out.
FIRST_TOUCH_FIELDS: tuple[str, ...] = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "landing_url",
    "referrer",
    "lead_platform",
    "platform_lead_id",
    "platform_account_id",
    "campaign_id",
    "ad_group_id",
    "ad_id",
    "form_id",
    "creative_id",
    "asset_group_id",
    "is_organic",
)

COLUMNS: tuple[Column, ...] = LEAD_COLUMNS + tuple(Column(f, f, f) for f in FIRST_TOUCH_FIELDS)


def headers(language: ExportLanguage) -> list[str]:
    return [column.header(language) for column in COLUMNS]


_ACTIONS: dict[ExportLanguage, dict[DecisionAction, str]] = {
    "vi": {
        "assigned": "giao tự động",
        "reclaimed": "thu hồi",
        "escalated": "chuyển xử lý thủ công",
        "manual": "giao thủ công",
        "released": "trả về",
    },
    "en": {
        "assigned": "assigned",
        "reclaimed": "reclaimed",
        "escalated": "escalated",
        "manual": "assigned by hand",
        "released": "released",
    },
}


def short_date(moment: datetime, tz: ZoneInfo) -> str:
    """``dd/mm/yyyy HH:MM`` on the tenant's clock (how Vietnamese users write a date)."""
    return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def history_summary(lead: Lead, tz: ZoneInfo, language: ExportLanguage) -> str:
    """How many routing decisions, the last one and when, and the last care: all on the lead item.

    The full history also has the care events (notes, calls) in the events table; reading them would
    cost a Query per lead, so the summary gives their latest time (``last_activity_at``) instead.
    """
    parts: list[str] = []
    if lead.decisions:
        last = lead.decisions[-1]
        action = _ACTIONS[language][last.action]
        if language == "vi":
            parts.append(f"{len(lead.decisions)} lần phân bổ, gần nhất: {action} {short_date(last.at, tz)}")
        else:
            count = f"{len(lead.decisions)} decision{'s' if len(lead.decisions) > 1 else ''}"
            parts.append(f"{count}, last: {action} {short_date(last.at, tz)}")
    if lead.last_activity_at is not None:
        label = "chăm sóc gần nhất" if language == "vi" else "last care"
        parts.append(f"{label}: {short_date(lead.last_activity_at, tz)}")
    return "; ".join(parts)


def lead_row(
    lead: Lead, owner_name: str | None, history_summary: str, tz: ZoneInfo, language: ExportLanguage
) -> list[Cell]:
    """One lead in ``COLUMNS`` order: dates in ``tz``, the status by its label, the owner by name."""
    labels = STATUS_LABELS_VI if language == "vi" else STATUS_LABELS_EN
    first = lead.attribution.first if lead.attribution else None
    own: list[Cell] = [
        lead.lead_id,
        lead.name,
        Phone(lead.phone) if lead.phone else None,
        lead.email,
        labels[lead.status],
        owner_name,
        lead.pool,
        lead.step,
        lead.campaign,
        lead.source,
        lead.received_at.astimezone(tz),
        lead.assigned_at.astimezone(tz) if lead.assigned_at else None,
        history_summary or None,
    ]
    touch: list[Cell] = [getattr(first, name) if first else None for name in FIRST_TOUCH_FIELDS]
    return own + touch
