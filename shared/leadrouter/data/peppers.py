"""Each tenant's contact pepper (``logic.ports.ContactPeppers``): 32 random bytes, stored only sealed.

The config item ``TENANT#<id>`` / ``PEPPER`` holds the pepper sealed with the stack's key
(``domain.secrets``, purpose ``contact_pepper``), like every other tenant secret. It is made on first
use with a conditional put: of two containers racing to make it, the second's put fails and it reads
and opens the first one's, so both digest with the same pepper. A pepper never changes (every digest
of the suppression, Do-Not-Call and call lists depends on it), so a container keeps it opened for its
whole life: one Decrypt per tenant per container.
"""

from __future__ import annotations

import base64
import binascii
import secrets as random
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.items import Store, from_item, is_condition_failure, tenant_pk, to_item
from leadrouter.domain.secrets import NO_SECRETS, SecretBox, SecretUnreadable, pepper_context
from leadrouter.settings import Settings

PEPPER_KEY = "PEPPER"
PEPPER_BYTES = 32


class PepperStore(Store):
    """The ``PEPPER`` items of the config table, opened with the box ``secret_box`` gives (on first use,
    so a container that never digests a contact never builds a KMS client)."""

    def __init__(
        self, settings: Settings, client: Any, secret_box: Callable[[], SecretBox] | None = None
    ) -> None:
        super().__init__(settings, client)
        self._secret_box = secret_box or (lambda: NO_SECRETS)
        self._peppers: dict[str, bytes] = {}
        self._pepper_lock = threading.Lock()

    def contact_pepper(self, tenant_id: str) -> bytes:
        """The tenant's pepper, made (and sealed) on first use; SecretsUnavailable without a key."""
        found = self._peppers.get(tenant_id)
        if found is not None:
            return found
        with self._pepper_lock:
            found = self._peppers.get(tenant_id)
            if found is None:
                found = self._peppers[tenant_id] = self._read_or_make_pepper(tenant_id)
        return found

    def existing_pepper(self, tenant_id: str) -> bytes | None:
        """The tenant's pepper if one was ever made, never making one: without a pepper no digest of the
        tenant exists anywhere, so a reader (a sweep checking the call lists) has nothing to look up."""
        found = self._peppers.get(tenant_id)
        if found is not None or self.sealed_pepper(tenant_id) is None:
            return found
        return self.contact_pepper(tenant_id)

    def sealed_pepper(self, tenant_id: str) -> str | None:
        """The pepper as stored (sealed), to keep a copy beside the erasure receipts; None if not made."""
        item = self._get_config(tenant_id, PEPPER_KEY)
        return str(item["sealed"]) if item and item.get("sealed") else None

    def restore_pepper(self, tenant_id: str, sealed: str) -> bool:
        """Put back a pepper a restore of the config table lost (False: the table has one already)."""
        box = self._secret_box()
        _pepper_bytes(box.open(sealed, pepper_context(tenant_id)))  # refuse what does not open here
        return self._put_pepper(tenant_id, sealed) is None

    def _read_or_make_pepper(self, tenant_id: str) -> bytes:
        box = self._secret_box()
        context = pepper_context(tenant_id)
        stored = self.sealed_pepper(tenant_id)
        if stored is None:
            fresh = base64.b64encode(random.token_bytes(PEPPER_BYTES)).decode("ascii")
            sealed = box.seal(fresh, context)
            stored = self._put_pepper(tenant_id, sealed)
            if stored is None:
                return _pepper_bytes(fresh)
        return _pepper_bytes(box.open(stored, context))

    def _put_pepper(self, tenant_id: str, sealed: str) -> str | None:
        """Write the pepper if the tenant has none: None if written, else the one stored first."""
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item({"pk": tenant_pk(tenant_id), "sk": PEPPER_KEY, "sealed": sealed}),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = from_item(error.response.get("Item") or {}).get("sealed")
            return str(old) if old else self.sealed_pepper(tenant_id) or sealed
        return None


def _pepper_bytes(opened: str) -> bytes:
    try:
        pepper = base64.b64decode(opened, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SecretUnreadable("the stored pepper is damaged") from error
    if len(pepper) != PEPPER_BYTES:
        raise SecretUnreadable("the stored pepper is damaged")
    return pepper
