"""PLACEHOLDER until the erasure work's ``data/peppers.py`` lands (issue #29): on merge, take theirs.

Each tenant's pepper for ``domain.privacy.contact_digest``: 32 random bytes, created on first use with a
conditional put (two racing creators read back the one that won). This stand-in keeps it in the config
table unsealed; the real one seals it with the stack's key (``data.secrets``), so the digests beside it
cannot be reversed by whoever reads the table.
"""

from __future__ import annotations

import base64
import secrets

from botocore.exceptions import ClientError

from leadrouter.data.items import Store, is_condition_failure, tenant_pk, to_item

PEPPER_SK = "PEPPER"


class PepperStore(Store):
    """``logic.ports.ContactPeppers`` (placeholder: see the module docstring)."""

    def contact_pepper(self, tenant_id: str) -> bytes:
        found = self._get_config(tenant_id, PEPPER_SK)
        if found is not None:
            return base64.b64decode(str(found["pepper"]))
        fresh = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item({"pk": tenant_pk(tenant_id), "sk": PEPPER_SK, "pepper": fresh}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return self.contact_pepper(tenant_id)
        return base64.b64decode(fresh)
