"""The processing inventory of one tenant: what personal data leadrouter holds for it, why, from where,
for how long, who receives it and where it goes, for the tenant's impact and transfer assessments.

Built from the tenant's own settings (purposes, retention, declared receiver countries), its sources
and its webhooks, and the region the service runs in; exported as JSON or as CSV for Excel.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from leadrouter.domain.base import Moment
from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.privacy import PrivacySettings
from leadrouter.domain.users import Caller
from leadrouter.logic.exports.writing import write_csv
from leadrouter.logic.ports import Sources, Tenants, Webhooks

UNKNOWN = "unknown"
VIETNAM = "VN"

#: AWS regions and the country their data centres are in (Vietnam has none: hosting is a transfer).
REGION_COUNTRIES: dict[str, str] = {
    "ap-southeast-1": "SG",
    "ap-southeast-2": "AU",
    "ap-southeast-3": "ID",
    "ap-southeast-5": "MY",
    "ap-southeast-7": "TH",
    "ap-east-1": "HK",
    "ap-northeast-1": "JP",
    "ap-northeast-2": "KR",
    "ap-northeast-3": "JP",
    "ap-south-1": "IN",
    "us-east-1": "US",
    "us-east-2": "US",
    "us-west-1": "US",
    "us-west-2": "US",
    "eu-west-1": "IE",
    "eu-central-1": "DE",
}

#: The ad platforms and other senders a source can connect, as the inventory names them.
PLATFORMS: dict[str, tuple[str, str]] = {
    "meta_lead_ads": ("Meta Platforms (Facebook / Instagram Lead Ads)", "IE"),
    "google_ads": ("Google (Google Ads lead form assets)", "US"),
    "tiktok": ("TikTok (Lead Generation)", "SG"),
    "zalo_oa": ("Zalo (VNG: Official Account)", VIETNAM),
    "ladipage": ("LadiPage", VIETNAM),
}
CAPTCHAS: dict[str, tuple[str, str]] = {
    "turnstile": ("Cloudflare (Turnstile CAPTCHA)", "US"),
    "hcaptcha": ("Intuition Machines (hCaptcha)", "US"),
    "recaptcha_v3": ("Google (reCAPTCHA)", "US"),
}
CHANNELS: dict[str, str] = {"web_form": "form", "json_api": "json"}


class Category(BaseModel):
    """A kind of personal data held, where and for how long."""

    category: str
    data: str
    held_in: str
    retention_days: int | None = Field(description="null: as long as the tenant's account (users)")
    note: str | None = None


class PurposeLine(BaseModel):
    key: str
    label: str
    notice_version: str


class SourceLine(BaseModel):
    source_id: str
    name: str
    kind: str
    channel: str
    active: bool


class Recipient(BaseModel):
    """A webhook receiver: leads' data (and events about them) are sent there."""

    webhook_id: str
    host: str
    country: str = Field(description="as the tenant declared it (ISO 3166-1 alpha-2), else unknown")
    active: bool
    event_types: list[str]


class Transfer(BaseModel):
    """Personal data leaving Vietnam: where, and why."""

    destination: str
    country: str
    reason: str


class SubProcessor(BaseModel):
    name: str
    role: str
    country: str


class Inventory(BaseModel):
    tenant_id: str
    tenant_name: str
    generated_at: Moment
    controller: str = Field(description="the tenant: it decides the purposes and means")
    processor: str = "leadrouter, processing on the tenant's behalf"
    hosting_region: str
    categories: list[Category]
    purposes: list[PurposeLine]
    sources: list[SourceLine]
    retention: dict[str, int | bool]
    recipients: list[Recipient]
    transfers: list[Transfer]
    sub_processors: list[SubProcessor]


class InventoryPorts(Tenants, Sources, Webhooks, Protocol):
    """The tenant's settings, sources and webhooks."""


def _categories(privacy: PrivacySettings) -> list[Category]:
    r = privacy.retention
    attribution = (
        Category(
            category="tracking",
            data="click ids (gclid, fbclid, ...), UTM tags, referrer, landing page URL",
            held_in="leads",
            retention_days=r.attribution_days,
            note="treated as sensitive until counsel says otherwise",
        )
        if r.keep_attribution
        else Category(category="tracking", data="not kept (switched off)", held_in="-", retention_days=0)
    )
    return [
        Category(category="identity", data="name", held_in="leads", retention_days=r.leads_days),
        Category(
            category="contact",
            data="phone number, e-mail address",
            held_in="leads, contact claims",
            retention_days=r.leads_days,
        ),
        Category(
            category="enquiry",
            data="the form's other fields (attributes), data pool, pipeline step, campaign",
            held_in="leads",
            retention_days=r.leads_days,
        ),
        Category(
            category="care history",
            data="notes and calls logged by staff, assignments and their reasons",
            held_in="lead history",
            retention_days=r.leads_days,
        ),
        Category(
            category="consent",
            data="per purpose: status, notice version and its SHA-256, time, source, method",
            held_in="leads",
            retention_days=r.leads_days,
        ),
        Category(
            category="submissions as received",
            data="every field posted, request headers, client IP address",
            held_in="submissions",
            retention_days=r.submissions_days,
        ),
        attribution,
        Category(
            category="delivery logs",
            data="webhook deliveries (status, time); events queued for receivers",
            held_in="webhook deliveries",
            retention_days=r.logs_days,
        ),
        Category(
            category="access audit",
            data="which user (id, role) read, exported, changed or deleted which lead ids, when",
            held_in="access audit",
            retention_days=r.audit_days,
        ),
        Category(
            category="users",
            data="the tenant's staff: name, e-mail, role",
            held_in="sign-in (Amazon Cognito), staff",
            retention_days=None,
        ),
    ]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or UNKNOWN).lower()


def build_inventory(repo: InventoryPorts, caller: Caller, region: str, now: datetime) -> Inventory:
    """The caller's tenant's processing inventory (admins only); ``region`` is where the stack runs."""
    if caller.role != "admin":
        raise NotAllowed("only the tenant's admins may read the processing inventory")
    caller_tenant = caller.tenant_id
    tenant = repo.get_tenant(caller_tenant)
    privacy = tenant.privacy if tenant else PrivacySettings()
    sources = repo.list_form_sources(caller_tenant)
    webhooks = repo.list_webhooks(caller_tenant)
    hosting_country = REGION_COUNTRIES.get(region, UNKNOWN)
    transfers = []
    if hosting_country != VIETNAM:
        transfers.append(
            Transfer(
                destination=f"AWS {region}",
                country=hosting_country,
                reason="hosting: every store of leadrouter is in this region",
            )
        )
    recipients = [
        Recipient(
            webhook_id=w.webhook_id,
            host=_host(w.url),
            country=privacy.recipient_countries.get(_host(w.url), UNKNOWN),
            active=w.active,
            event_types=list(w.event_types),
        )
        for w in webhooks
    ]
    transfers += [
        Transfer(destination=r.host, country=r.country, reason="webhook receiver")
        for r in recipients
        if r.country != VIETNAM
    ]
    subs = [SubProcessor(name="Amazon Web Services", role=f"hosting ({region})", country=hosting_country)]
    kinds = sorted({s.kind for s in sources if s.kind in PLATFORMS})
    subs += [SubProcessor(name=PLATFORMS[k][0], role="lead source", country=PLATFORMS[k][1]) for k in kinds]
    captchas = sorted({s.web_form.captcha.provider for s in sources if s.web_form.captcha is not None})
    subs += [SubProcessor(name=CAPTCHAS[c][0], role="bot check", country=CAPTCHAS[c][1]) for c in captchas]
    return Inventory(
        tenant_id=caller_tenant,
        tenant_name=tenant.name if tenant else caller_tenant,
        generated_at=now,
        controller=tenant.name if tenant else caller_tenant,
        hosting_region=region,
        categories=_categories(privacy),
        purposes=[
            PurposeLine(key=p.key, label=p.label, notice_version=p.notice_version) for p in privacy.purposes
        ],
        sources=[
            SourceLine(
                source_id=s.source_id,
                name=s.name,
                kind=s.kind,
                channel=CHANNELS.get(s.kind, s.kind),
                active=s.active,
            )
            for s in sources
        ],
        retention=privacy.retention.model_dump(),
        recipients=recipients,
        transfers=transfers,
        sub_processors=subs,
    )


CSV_HEADERS = ("Mục / Section", "Tên / Item", "Chi tiết / Details", "Quốc gia / Country", "Lưu (ngày) / Days")


def _rows(inventory: Inventory) -> Iterator[tuple[str, str, str, str, int | None]]:
    for c in inventory.categories:
        yield "category", c.category, f"{c.data} ({c.held_in})", "", c.retention_days
    for p in inventory.purposes:
        yield "purpose", p.key, f"{p.label} (notice {p.notice_version})", "", None
    for s in inventory.sources:
        yield "source", s.name, f"{s.kind}, {'active' if s.active else 'inactive'}", "", None
    for name, value in inventory.retention.items():
        if isinstance(value, bool):
            yield "retention", name, "yes" if value else "no", "", None
        else:
            yield "retention", name, "", "", value
    for r in inventory.recipients:
        yield "recipient", r.host, f"webhook {r.webhook_id}: {', '.join(r.event_types)}", r.country, None
    for t in inventory.transfers:
        yield "transfer", t.destination, t.reason, t.country, None
    for sp in inventory.sub_processors:
        yield "sub-processor", sp.name, sp.role, sp.country, None


def inventory_csv(inventory: Inventory) -> bytes:
    """The inventory as one CSV table for Excel (UTF-8 with BOM, so Vietnamese reads right)."""
    out = io.BytesIO()
    write_csv(CSV_HEADERS, _rows(inventory), out)
    return out.getvalue()
