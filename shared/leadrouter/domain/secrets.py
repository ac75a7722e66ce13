"""Tenants' secrets at rest: sealed, bound to their owner, opened only where they are used.

A secret the service keeps for a tenant (a webhook's signing secret, a form source's CAPTCHA secret,
later an ad platform's app secret or page token) is stored only *sealed*: encrypted under the
service's key with a context naming its tenant, its purpose and the item that owns it. A sealed value
copied onto another tenant's item, another item or another purpose does not open. The plaintext is
shown to the tenant once (a generated secret) or never (one the admin typed), and exists only in the
memory of the function that uses it.

Pure: the ``SecretBox`` port says what sealing is; ``data.secrets`` implements it (AWS KMS, or a local
AES-GCM key for ``make run`` and tests) and ``runtime`` picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

#: Every sealed value starts with this (then the box's name), so a stored value says what it is.
SEALED_PREFIX = "sealed:"


class SecretPurpose(StrEnum):
    WEBHOOK_SIGNING = "webhook_signing"
    CAPTCHA = "captcha"
    #: A platform source's credentials (an app secret, a page token, a webhook key).
    SOURCE = "source"
    #: A tenant's pepper for contact digests (``domain.privacy.contact_digest``).
    CONTACT_PEPPER = "contact_pepper"


@dataclass(frozen=True, slots=True)
class SecretContext:
    """What a sealed secret is bound to: it opens only with the same three values."""

    tenant_id: str
    purpose: SecretPurpose
    #: The id of the item that holds it (a webhook id, a form source id).
    owner: str

    def fields(self) -> dict[str, str]:
        """As a KMS EncryptionContext (and the local box's associated data)."""
        return {"tenant_id": self.tenant_id, "purpose": str(self.purpose), "owner": self.owner}


class SecretUnreadable(Exception):
    """This sealed value never opens in this context: moved from another item or tenant, altered, or
    sealed under another key. Retrying does not help; the owner must set a new secret."""


class SecretsUnavailable(Exception):
    """The key service did not answer (throttled, unreachable, not configured): try again later."""


class SecretBox(Protocol):
    def seal(self, plaintext: str, context: SecretContext) -> str:
        """``plaintext`` encrypted for ``context``: a string starting with SEALED_PREFIX."""
        ...

    def open(self, sealed: str, context: SecretContext) -> str:
        """The plaintext of ``sealed``; SecretUnreadable or SecretsUnavailable if it cannot be had."""
        ...


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def reveal(box: SecretBox, stored: str, context: SecretContext) -> str:
    """The plaintext of a stored secret: opened if sealed; a value stored in clear before secrets were
    sealed is returned as it is (such items are sealed on their next save, or by ``seal_stored``)."""
    return box.open(stored, context) if is_sealed(stored) else stored


def seal_stored(box: SecretBox, stored: str, context: SecretContext) -> str:
    """A stored secret as it must be written: a sealed one unchanged, a clear one (from before secrets
    were sealed) sealed now. Never for what a caller sends: that is always sealed, whatever it looks like."""
    return stored if is_sealed(stored) else box.seal(stored, context)


class NoSecretBox:
    """The box of a function that has no key: nothing can be sealed or opened (SecretsUnavailable)."""

    def seal(self, plaintext: str, context: SecretContext) -> str:
        raise SecretsUnavailable("no key for secrets is configured (SECRETS_KEY_ID)")

    def open(self, sealed: str, context: SecretContext) -> str:
        raise SecretsUnavailable("no key for secrets is configured (SECRETS_KEY_ID)")


NO_SECRETS = NoSecretBox()


def webhook_secret_context(tenant_id: str, webhook_id: str) -> SecretContext:
    return SecretContext(tenant_id, SecretPurpose.WEBHOOK_SIGNING, webhook_id)


def captcha_secret_context(tenant_id: str, source_id: str) -> SecretContext:
    return SecretContext(tenant_id, SecretPurpose.CAPTCHA, source_id)


def source_secret_context(tenant_id: str, source_id: str, name: str) -> SecretContext:
    """A platform source's secret ``name`` (``app_secret``, ``page_token`` …): bound to that name too,
    so one of a source's secrets never opens as another."""
    return SecretContext(tenant_id, SecretPurpose.SOURCE, f"{source_id}#{name}")


def pepper_context(tenant_id: str) -> SecretContext:
    """A tenant's contact pepper: one per tenant, so its owner is always the same name."""
    return SecretContext(tenant_id, SecretPurpose.CONTACT_PEPPER, "pepper")


def given_within(max_chars: int) -> Callable[[str], str]:
    """The check of a secret as an admin gives it (at most ``max_chars``), or as it is stored: sealed
    for its owner, which is longer."""

    def fits(value: str) -> str:
        if len(value) > max_chars and not is_sealed(value):
            raise ValueError(f"at most {max_chars} characters")
        return value

    return fits
