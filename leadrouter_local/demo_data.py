"""The demo tenant `make run` creates on first start, its emulated tokens, and the start-up banner.

Everything here is local-only: the keys and tokens are fixed strings that mean nothing on AWS.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from leadrouter.demo_auth import ADMIN_TOKEN, STAFF_IDS
from leadrouter.demo_auth import TENANT as TENANT  # re-exported: the demo tenant is the tokens' tenant
from leadrouter.domain.forms import FormDoor, FormSource
from leadrouter.domain.keys import hash_form_key, hash_source_secret
from leadrouter.domain.rules import new_rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.runtime import repository
from leadrouter_local.cognito import DEMO_PASSWORD, DemoUser

#: Staff id → (name, weight); the ids are the ones the demo tokens (leadrouter.demo_auth) carry.
STAFF = dict(zip(STAFF_IDS, (("An", 3), ("Bình", 4), ("Chi", 5)), strict=True))
FORM_KEY = "fk_demo_local_web_form"
#: The demo source's secret (X-Source-Secret): a server that sends it is answered with the lead.
SOURCE_SECRET = "ss_demo_local_web_form"  # noqa: S105 (local only, like the demo tokens)
ASSIGN_RULE = "web-new-weighted"
RECLAIM_RULE = "web-new-reclaim"
TEAM = "kinh-doanh"
#: A second tenant, so that isolation can be seen in the console: its people never see the first's.
OTHER_TENANT = "demo-b"
OTHER_STAFF = {"D": "Dũng", "E": "Em"}


def demo_users() -> list[DemoUser]:
    """Who can sign in to the local console (password: ``leadrouter_local.cognito.DEMO_PASSWORD``)."""
    names = {"A": "an", "B": "binh", "C": "chi", "D": "dung", "E": "em"}
    users = [
        DemoUser("admin@demo.test", TENANT, "admin"),
        DemoUser("lead@demo.test", TENANT, "team_lead", team=TEAM),
        *(DemoUser(f"{names[sid]}@demo.test", TENANT, "staff", sid, TEAM) for sid in STAFF),
        DemoUser("admin@demo-b.test", OTHER_TENANT, "admin"),
        DemoUser("lead@demo-b.test", OTHER_TENANT, "team_lead", team=TEAM),
        *(DemoUser(f"{names[sid]}@demo-b.test", OTHER_TENANT, "staff", sid, TEAM) for sid in OTHER_STAFF),
    ]
    return users


def seed_demo(reclaim_after_minutes: int = 30) -> dict[str, str]:
    """Create the demo tenant once (a restart keeps whatever the user changed)."""
    repo = repository()
    if repo.get_tenant(TENANT) is None:
        repo.put_tenant(Tenant(tenant_id=TENANT, name="Demo Co."))
        for sid, (name, _) in STAFF.items():
            repo.put_staff(StaffMember(tenant_id=TENANT, staff_id=sid, name=name, team=TEAM))
        scope = {"pool": "web", "step": "new"}
        repo.create_rule(
            new_rule(
                dict(
                    tenant_id=TENANT,
                    rule_id=ASSIGN_RULE,
                    name="Website leads, 3:4:5",
                    kind="weighted",
                    scope=scope,
                    staff=[{"staff_id": sid, "weight": w} for sid, (_, w) in STAFF.items()],
                )
            )
        )
        repo.create_rule(
            new_rule(
                dict(
                    tenant_id=TENANT,
                    rule_id=RECLAIM_RULE,
                    name="Take back website leads nobody called",
                    kind="reclaim",
                    scope=scope,
                    staff=[{"staff_id": sid, "weight": 1} for sid in STAFF],
                    reclaim_after_minutes=reclaim_after_minutes,
                )
            )
        )
        # The demo posts its leads as one CRM would, from one address: its per-IP limit matches the source's
        source = FormSource(
            tenant_id=TENANT,
            source_id="website",
            name="Website form",
            pool="web",
            rate_per_minute=1000,
            secret_hash=hash_source_secret(SOURCE_SECRET),
            web_form=FormDoor(rate_per_ip_per_minute=1000),
        )
        repo.put_form_source(source, hash_form_key(FORM_KEY))
    if repo.get_tenant(OTHER_TENANT) is None:
        repo.put_tenant(Tenant(tenant_id=OTHER_TENANT, name="Công ty B"))
        for sid, name in OTHER_STAFF.items():
            repo.put_staff(StaffMember(tenant_id=OTHER_TENANT, staff_id=sid, name=name, team=TEAM))
        repo.create_rule(
            new_rule(
                dict(
                    tenant_id=OTHER_TENANT,
                    rule_id="web-new-round-robin",
                    name="Khách từ website, xoay vòng",
                    kind="round_robin",
                    scope={"pool": "web", "step": "new"},
                    staff=[{"staff_id": sid, "weight": 1} for sid in OTHER_STAFF],
                )
            )
        )
    return {
        "tenant": TENANT,
        "form_key": FORM_KEY,
        "source_secret": SOURCE_SECRET,
        "admin_token": ADMIN_TOKEN,
    }


def banner(url: str, demo: dict[str, str], seconds: float) -> str:
    if not demo:
        return f"leadrouter is running on {url} (ready in {seconds:.1f} s). Ctrl-C stops it."
    key, token, secret = demo["form_key"], demo["admin_token"], demo.get("source_secret", "")
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=7), today + timedelta(days=1)
    period = f"received_from={since}T00:00:00Z&received_to={until}T00:00:00Z"
    return f"""
leadrouter is running on {url}  (ready in {seconds:.1f} s; Ctrl-C stops everything)

  console:     open {url}/ and sign in (password {DEMO_PASSWORD} for every demo user)
               tenant {demo["tenant"]}: admin@demo.test, lead@demo.test (team lead), an@/binh@/chi@demo.test
               tenant {OTHER_TENANT}: admin@demo-b.test, lead@demo-b.test, dung@ / em@demo-b.test
  operator:    POST {url}/operator/tenants with X-Operator-Token: {os.environ.get("LOCAL_OPERATOR_TOKEN", "")}
               (IAM-signed on AWS: make tenant TENANT=… NAME=… ADMIN_EMAIL=… STACK=…)

  demo tenant: {demo["tenant"]}   staff A, B, C weighted 3:4:5   reclaim after 30 min
  form key:    {key}      (X-Form-Key header: can only add leads to pool "web")
  secret:      {secret}      (X-Source-Secret, servers only: the answer names the lead)
  tokens:      {token} (admin), demo-staff-a / -b / -c (staff)   (Authorization: Bearer …)

  # post a lead as a form would (the answer is a receipt), then as a CRM would (it names the lead)
  curl -s -X POST {url}/intake/leads -H 'X-Form-Key: {key}' -H 'Content-Type: application/json' \\
       -d '{{"name": "Nguyễn Văn An", "phone": "0912 345 678"}}'
  curl -s -X POST {url}/intake/leads -H 'X-Form-Key: {key}' -H 'X-Source-Secret: {secret}' \\
       -H 'Content-Type: application/json' -d '{{"name": "Trần Thị Bình", "phone": "0987 654 321"}}'
  # list leads, see one with its history, see the split
  curl -s {url}/leads -H 'Authorization: Bearer {token}'
  curl -s {url}/leads/<lead_id> -H 'Authorization: Bearer {token}'
  curl -s '{url}/reports/distribution?{period}' \\
       -H 'Authorization: Bearer {token}'
  # API docs
  open {url}/swagger
"""
