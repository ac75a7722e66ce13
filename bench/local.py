"""What the benchmarks share: DynamoDB Local with the template's tables, and the seed's 3:4:5 rule."""

from __future__ import annotations

import os
from collections.abc import Iterable

from leadrouter.data.repository import Repository
from leadrouter.domain.rules import Rule, new_rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.settings import Settings
from leadrouter_local.ddb_local import DynamoDBLocal
from leadrouter_local.template import create_tables, table_env

TENANT = "bench"
SEED_WEIGHTS = {"A": 3, "B": 4, "C": 5}


def point_at(ddb: DynamoDBLocal) -> Settings:
    """Point this process's boto3 at ``ddb``, create the template's tables, return their settings."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
        }
    )
    os.environ.update(table_env(create_tables(ddb.client())))
    return Settings.from_env()


def seed_rule(repo: Repository, staff: Iterable[str] = "ABC", rule_id: str = "r") -> Rule:
    """The bench tenant, its staff, and the seed's 3:4:5 rule on web/new (stored and returned)."""
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Bench"))
    for sid in staff:
        repo.put_staff(StaffMember(tenant_id=TENANT, staff_id=sid, name=f"Staff {sid}"))
    rule = new_rule(
        {
            "tenant_id": TENANT,
            "rule_id": rule_id,
            "name": "bench",
            "kind": "weighted",
            "scope": {"pool": "web", "step": "new"},
            "staff": [{"staff_id": s, "weight": w} for s, w in SEED_WEIGHTS.items()],
        }
    )
    repo.create_rule(rule)
    return rule
