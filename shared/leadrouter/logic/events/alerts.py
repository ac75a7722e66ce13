"""Escalation alerts: the tenant's settings (admin API), and telling the people they name.

Webhooks named in the settings get every ``LeadEscalated`` through the normal signed, retried
delivery path (``logic.events.fanout.fan_out_message`` adds them). E-mail goes out through SES from the
alert function, only when the stack has a sender (``ALERT_SENDER``, template parameter
``AlertSenderEmail``); it is at least once, like every other delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field, StrictInt

from leadrouter.domain.alerts import REASONS_VI, EscalationAlerts
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.events import LeadEscalated
from leadrouter.domain.forms import FormSource
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import Tenants, Webhooks
from leadrouter.observability import logger, metrics


class AlertPorts(Tenants, Webhooks, Protocol):
    """The tenant's alert settings, and the webhooks they may name."""


class AlertsIn(EscalationAlerts):
    expected_revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the revision you read (GET /settings/alerts): if the tenant's settings moved on "
        "meanwhile the answer is 409 and nothing is written; omit to write unconditionally",
    )


class AlertsView(BaseModel):
    webhook_ids: list[str]
    emails: list[str]
    revision: int
    email_enabled: bool = Field(
        description="whether this stack can send e-mail (an SES sender is configured)"
    )


class Mailer(Protocol):
    def send(self, to: Sequence[str], subject: str, text: str) -> None: ...


def get_alerts(repo: Tenants, caller: Caller, *, email_enabled: bool) -> AlertsView:
    return _view(repo.get_tenant(caller.tenant_id), email_enabled)


def put_alerts(repo: AlertPorts, caller: Caller, body: AlertsIn, *, email_enabled: bool) -> AlertsView:
    """Replace the alert settings. Every webhook named must be one of the tenant's (422 naming it)."""
    problems = {
        f"webhook_ids.{i}": f"no webhook {webhook_id} in this tenant"
        for i, webhook_id in enumerate(body.webhook_ids)
        if repo.get_webhook(caller.tenant_id, webhook_id) is None
    }
    if problems:
        raise InvalidInput("invalid alert settings", problems)
    alerts = EscalationAlerts(webhook_ids=body.webhook_ids, emails=body.emails)
    current = repo.get_tenant(caller.tenant_id)
    revision = current.rev if current is not None else 0
    if body.expected_revision is not None and body.expected_revision != revision:
        raise Conflict(
            f"the alert settings are at revision {revision}, not {body.expected_revision}; reload them"
        )
    if current is None:
        updated = repo.save_tenant(
            None, Tenant(tenant_id=caller.tenant_id, name=caller.tenant_id, alerts=alerts)
        )
    elif current.alerts != alerts:
        updated = repo.save_tenant(current, current.model_copy(update={"alerts": alerts}))
    else:
        updated = current
    return _view(updated, email_enabled)


def _view(tenant: Tenant | None, email_enabled: bool) -> AlertsView:
    alerts = tenant.alerts if tenant is not None else EscalationAlerts()
    return AlertsView(
        webhook_ids=alerts.webhook_ids,
        emails=alerts.emails,
        revision=tenant.rev if tenant is not None else 0,
        email_enabled=email_enabled,
    )


def alert_email(event: LeadEscalated, tenant_name: str) -> tuple[str, str]:
    """Subject and plain-text body of an escalation e-mail (Vietnamese first, ids and reason only)."""
    reason = REASONS_VI.get(event.reason or "", event.reason or "không rõ (unknown)")
    subject = f"[leadrouter] Lead {event.lead_id} cần xử lý thủ công / needs a person"
    waited = f"{event.seconds_since_received:.0f} s sau khi nhận / after it came in"
    lines = [
        f"Đơn vị / Tenant: {tenant_name}",
        f"Lead: {event.lead_id}",
        f"Lý do / Reason: {reason}",
        f"Nhóm dữ liệu / Pool: {event.pool} · Bước / Step: {event.step}",
        f"Quy tắc / Rule: {event.rule_id or '—'}",
        f"Người giữ trước / Previous owner: {event.previous_owner or '—'}",
        f"Lúc / At: {event.occurred_at.isoformat()} ({waited})",
        "",
        "Mở lead trong hệ thống để giao thủ công. Open the lead in the console to assign it by hand.",
    ]
    return subject, "\n".join(lines)


def email_escalation(repo: Tenants, mailer: Mailer, event: LeadEscalated) -> int:
    """E-mail the tenant's alert addresses about one escalation; the number of addresses."""
    tenant = repo.get_tenant(event.tenant_id)
    if tenant is None or not tenant.alerts.emails:
        return 0
    subject, text = alert_email(event, tenant.name)
    mailer.send(tenant.alerts.emails, subject, text)
    metrics.add_metric(name="EscalationEmailsSent", unit="Count", value=1)
    logger.info(
        "escalation e-mailed",
        extra={"lead_id": event.lead_id, "reason": event.reason, "addresses": len(tenant.alerts.emails)},
    )
    return len(tenant.alerts.emails)


def email_source_unhealthy(repo: Tenants, mailer: Mailer, source: FormSource, reason: str) -> int:
    """E-mail the tenant's alert addresses that a source's platform refuses us its leads (a revoked
    token): its deliveries wait, listed and replayable, until an admin fixes it."""
    tenant = repo.get_tenant(source.tenant_id)
    if tenant is None or not tenant.alerts.emails:
        return 0
    subject = f"[leadrouter] Nguồn {source.name} cần được kết nối lại / needs reconnecting"
    lines = [
        f"Đơn vị / Tenant: {tenant.name}",
        f"Nguồn / Source: {source.name} ({source.source_id}, {source.kind})",
        f"Lý do / Reason: {reason}",
        "",
        "Lead mới vẫn được lưu nhưng chưa thể đọc từ nền tảng. Cập nhật mã truy cập của nguồn, rồi chạy lại "
        "các lượt gửi lỗi. New leads are stored but cannot be read from the platform: set the source's "
        "token again, then replay its failed deliveries.",
    ]
    mailer.send(tenant.alerts.emails, subject, "\n".join(lines))
    metrics.add_metric(name="SourceAlertEmailsSent", unit="Count", value=1)
    return len(tenant.alerts.emails)
