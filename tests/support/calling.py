"""Advertising-call helpers for tests: a repository with a fixed, fake pepper (no key to open a sealed
one), consent records, and leads that may be called."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadrouter.data.repository import Repository
from leadrouter.domain.consent import CALL, ConsentMethod, ConsentRecord, ConsentStatus
from leadrouter.runtime import dynamodb_client
from leadrouter.settings import Settings
from tests.support.builders import NOW

FAKE_PEPPER = b"test-pepper-not-secret-0123456789"


class PepperedRepository(Repository):
    """The repository with a fixed fake pepper per tenant."""

    def contact_pepper(self, tenant_id: str) -> bytes:
        return FAKE_PEPPER + tenant_id.encode()

    def existing_pepper(self, tenant_id: str) -> bytes | None:
        return self.contact_pepper(tenant_id)


def peppered_repository(settings: Settings | None = None, client: Any = None) -> PepperedRepository:
    return PepperedRepository(settings or Settings.from_env(), client or dynamodb_client())


def call_consent(
    status: ConsentStatus = ConsentStatus.GRANTED, at: datetime = NOW
) -> dict[str, ConsentRecord]:
    return {
        CALL: ConsentRecord(
            purpose=CALL, status=status, at=at, method=ConsentMethod.CHECKBOX, source="web-form"
        )
    }
