"""The daily deadline alert: open data-subject requests due within a working day (or overdue) are
e-mailed to each tenant's alert addresses, the escalation alerts' path (``logic.events.alerts``).

The open requests of every tenant are read from the sparse ``active_rules`` index, where a request is
listed while open (``data.privacy_requests``). Every alert is counted (``PrivacyRequestsDueSoon``) and
logged with ids, kinds and due dates only, so a tenant without addresses, or a stack without an SES
sender, still shows them in its metrics and logs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from leadrouter.domain.privacy_requests import PrivacyRequest, days_off, due_soon
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.events.alerts import Mailer
from leadrouter.logic.ports import PrivacyRequests, Tenants
from leadrouter.observability import logger, metrics


class DeadlinePorts(Tenants, PrivacyRequests, Protocol):
    """Every tenant's open requests, and each tenant's calendar and alert addresses."""


def alert_due_requests(repo: DeadlinePorts, mailer: Mailer | None, now: datetime) -> int:
    """Alert every tenant about its open requests due within a working day; the number of them."""
    by_tenant: dict[str, list[PrivacyRequest]] = defaultdict(list)
    for request in repo.open_privacy_requests():
        by_tenant[request.tenant_id].append(request)
    alerted = 0
    for tenant_id, requests in sorted(by_tenant.items()):
        tenant = repo.get_tenant(tenant_id) or Tenant(tenant_id=tenant_id, name=tenant_id)
        today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
        off = days_off(tenant.holidays)
        due = sorted((r for r in requests if due_soon(r, today, off)), key=lambda r: (r.due, r.request_id))
        if not due:
            continue
        alerted += len(due)
        metrics.add_metric(name="PrivacyRequestsDueSoon", unit="Count", value=len(due))
        logger.warning(
            "privacy requests due soon",
            extra={
                "tenant_id": tenant_id,
                "requests": [
                    {"request_id": r.request_id, "kind": r.kind.value, "due": r.due.isoformat()} for r in due
                ],
            },
        )
        if mailer is not None and tenant.alerts.emails:
            subject, text = due_email(tenant, due, today.isoformat())
            mailer.send(tenant.alerts.emails, subject, text)
    return alerted


def due_email(tenant: Tenant, requests: Sequence[PrivacyRequest], today: str) -> tuple[str, str]:
    """Subject and body (Vietnamese first): ids, kinds and due dates, never the person."""
    subject = (
        f"[leadrouter] {len(requests)} yêu cầu về dữ liệu cá nhân sắp đến hạn / privacy requests due soon"
    )
    lines = [f"Đơn vị / Tenant: {tenant.name}", f"Hôm nay / Today: {today}", ""]
    lines += [f"- {r.request_id} · {r.kind.value} · hạn / due {r.due.isoformat()}" for r in requests]
    lines += [
        "",
        "Mở mục Quyền riêng tư trong hệ thống để xử lý hoặc gia hạn (một lần). "
        "Open Privacy requests in the console to complete or extend them (once).",
    ]
    return subject, "\n".join(lines)
