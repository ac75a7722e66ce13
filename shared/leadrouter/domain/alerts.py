"""Escalation alerts: who is told when a lead needs a person (pure).

A lead is escalated when no rule can give it to anyone: nobody eligible, reclaimed too often, or it
waited ``escalate_after_minutes`` in a scope no rule is in charge of (the "waits too long" case). Each
escalation is one ``LeadEscalated`` event; the tenant's alert settings name the webhooks told of every
such event (whether or not they subscribe to it) and the addresses e-mailed (when the stack has a
sender, template parameter ``AlertSenderEmail``). Alerts carry ids and reasons, never the lead's name,
phone or email.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from leadrouter.domain.base import _Model
from leadrouter.domain.contacts import EMAIL_SCHEMA, normalise_email

#: A webhook id (as ``models.Ident``; models imports this module, so it is spelled out here).
WebhookId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]

MAX_ALERT_WEBHOOKS = 5
MAX_ALERT_EMAILS = 10

#: What each escalation reason means, in the words the seed users know (with the English after it).
REASONS_VI = {
    "no_rule": "Không có quy tắc nào phụ trách (no rule covers its pool and step)",
    "window_closed": "Quy tắc đang ngoài lịch chạy (the rule's schedule window is closed)",
    "no_eligible_staff": "Không có nhân viên nào nhận được (nobody can take it)",
    "waited_too_long": "Chờ quá lâu mà không ai nhận (waited too long: nobody on shift could take it)",
    "reclaim_limit": "Đã thu hồi quá số lần cho phép (reclaimed too often)",
    "quarantined": "Ghi dữ liệu lỗi nhiều lần, cần kiểm tra (its writes kept failing)",
}


class EscalationAlerts(_Model):
    """The tenant's alert settings (empty: nobody is told beyond the webhooks that subscribe)."""

    webhook_ids: list[WebhookId] = Field(
        default_factory=list, max_length=MAX_ALERT_WEBHOOKS, json_schema_extra={"uniqueItems": True}
    )
    emails: list[Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)]] = Field(
        default_factory=list, max_length=MAX_ALERT_EMAILS, json_schema_extra={"uniqueItems": True}
    )

    @field_validator("webhook_ids")
    @classmethod
    def _distinct_webhooks(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a webhook is listed twice")
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        normalised = [normalise_email(v) for v in value]
        if len(set(normalised)) != len(normalised):
            raise ValueError("an address is listed twice")
        return normalised
