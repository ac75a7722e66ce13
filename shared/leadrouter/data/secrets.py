"""Where tenants' secrets are sealed and opened: AWS KMS on AWS, a local AES-GCM key elsewhere.

``KmsSecretBox`` encrypts each secret with ``kms:Encrypt`` under the stack's SecretsKey, with the
secret's ``SecretContext`` as the EncryptionContext, and opens it with ``kms:Decrypt`` naming the same
key and context: KMS refuses a ciphertext whose context differs (another tenant, item or purpose), and
the template grants Decrypt per function only for the purpose it uses. Secrets are small (≤ 4 KB), so
KMS encrypts them itself; a data key (GenerateDataKey + AES-GCM) would cost the same one KMS call per
open and add a cipher of our own. An opened secret is kept in the container's memory for
``OPENED_TTL`` seconds, so a busy webhook costs one Decrypt per container per TTL, not one per delivery.

``LocalSecretBox`` is the stand-in for ``make run`` and tests: AES-256-GCM with a key file created on
first use, the context as associated data, so a moved value fails the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets as random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.data.cache import SettingsCache
from leadrouter.data.items import Store, expr_values, from_item, is_condition_failure, to_item
from leadrouter.domain.secrets import (
    SEALED_PREFIX,
    SecretContext,
    SecretPurpose,
    SecretsUnavailable,
    SecretUnreadable,
)

KMS_PREFIX = f"{SEALED_PREFIX}kms:"
LOCAL_PREFIX = f"{SEALED_PREFIX}local:"
OPENED_TTL = 300.0
#: KMS errors that say this ciphertext will never open here (any other error may pass: retry).
_NEVER_OPENS = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


def _unwrap(sealed: str, prefix: str) -> bytes:
    if not sealed.startswith(prefix):
        raise SecretUnreadable("not a value sealed by this box")
    try:
        return base64.b64decode(sealed[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise SecretUnreadable("the sealed value is damaged") from error


class KmsSecretBox:
    """Seals with ``kms:Encrypt`` and opens with ``kms:Decrypt`` under one key (its id or ARN)."""

    def __init__(self, key_id: str, client: Any) -> None:
        self._key_id = key_id
        self._client = client  # KMS, from runtime.secret_box
        self._opened = SettingsCache(ttl=OPENED_TTL)

    def seal(self, plaintext: str, context: SecretContext) -> str:
        try:
            answer = self._client.encrypt(
                KeyId=self._key_id, Plaintext=plaintext.encode("utf-8"), EncryptionContext=context.fields()
            )
        except (ClientError, BotoCoreError) as error:
            raise SecretsUnavailable(f"KMS Encrypt failed: {_code(error)}") from error
        return KMS_PREFIX + base64.b64encode(answer["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, context: SecretContext) -> str:
        blob = _unwrap(sealed, KMS_PREFIX)
        key = (sealed, context)
        return self._opened.get(key, lambda: self._decrypt(blob, context))

    def _decrypt(self, blob: bytes, context: SecretContext) -> str:
        try:
            answer = self._client.decrypt(
                KeyId=self._key_id, CiphertextBlob=blob, EncryptionContext=context.fields()
            )
        except ClientError as error:
            if _code(error) in _NEVER_OPENS:
                raise SecretUnreadable(f"KMS refused the ciphertext: {_code(error)}") from error
            raise SecretsUnavailable(f"KMS Decrypt failed: {_code(error)}") from error
        except BotoCoreError as error:
            raise SecretsUnavailable(f"KMS Decrypt failed: {_code(error)}") from error
        plaintext: bytes = answer["Plaintext"]
        return plaintext.decode("utf-8")


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


class LocalSecretBox:
    """AES-256-GCM under a key kept in a file (``make run``, tests): the stand-in for KMS."""

    NONCE_BYTES = 12

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # not in the Lambda layer

        if len(key) != 32:
            raise ValueError("a local secrets key is 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_file(cls, path: Path) -> LocalSecretBox:
        """The box of the key in ``path``, creating it (readable by its owner only) if absent.

        The key is written under another name and linked into place, so two processes starting at
        once agree on one key and neither reads a half-written file.
        """
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}.{random.token_hex(4)}")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(random.token_bytes(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: use its key
            finally:
                draft.unlink()
        return cls(path.read_bytes())

    def seal(self, plaintext: str, context: SecretContext) -> str:
        nonce = random.token_bytes(self.NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _associated(context))
        return LOCAL_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, context: SecretContext) -> str:
        from cryptography.exceptions import InvalidTag

        blob = _unwrap(sealed, LOCAL_PREFIX)
        nonce, body = blob[: self.NONCE_BYTES], blob[self.NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _associated(context)).decode("utf-8")
        except (InvalidTag, ValueError) as error:
            raise SecretUnreadable("the sealed value does not open in this context") from error


def _associated(context: SecretContext) -> bytes:
    return json.dumps(context.fields(), sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ClearSecret:
    """A secret found stored in clear (written before secrets were sealed), and where it is."""

    key: dict[str, str]
    #: The attribute's path in the item (``secret``, ``web_form.captcha.secret``).
    path: tuple[str, ...]
    context: SecretContext
    clear: str = field(repr=False)


#: Where each kind of item keeps a secret, by sort-key prefix: (path, purpose, the owner's attribute).
_SECRET_PLACES: dict[str, tuple[tuple[str, ...], SecretPurpose, str]] = {
    "WEBHOOK#": (("secret",), SecretPurpose.WEBHOOK_SIGNING, "webhook_id"),
    "SOURCE#": (("web_form", "captcha", "secret"), SecretPurpose.CAPTCHA, "source_id"),
    "FORMKEY": (("web_form", "captcha", "secret"), SecretPurpose.CAPTCHA, "source_id"),
}


class ClearSecretsStore(Store):
    """The one-off sealing of secrets stored in clear (``leadrouter.seal_secrets``): it Scans the
    config table, so it is never on a request or sweep path and no function's role may use it."""

    def clear_secrets(self) -> Iterator[ClearSecret]:
        kwargs: dict[str, Any] = {
            "TableName": self._config,
            "FilterExpression": "(attribute_exists(#s) AND NOT begins_with(#s, :sealed)) OR "
            "(attribute_exists(#w.#c.#s) AND NOT begins_with(#w.#c.#s, :sealed))",
            "ExpressionAttributeNames": {"#s": "secret", "#w": "web_form", "#c": "captcha"},
            "ExpressionAttributeValues": expr_values(sealed=SEALED_PREFIX),
        }
        while True:
            response = self._client.scan(**kwargs)
            for raw in response.get("Items", []):
                found = _clear_secret(from_item(raw))
                if found is not None:
                    yield found
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def replace_clear_secret(self, found: ClearSecret, sealed: str) -> bool:
        """Store ``sealed`` in place of the clear value, if it is still that value (else False: an
        admin saved the item meanwhile, which sealed it)."""
        names = {f"#p{i}": part for i, part in enumerate(found.path)}
        path = ".".join(names)
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item(found.key),
                UpdateExpression=f"SET {path} = :sealed",
                ConditionExpression=f"{path} = :clear",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=expr_values(sealed=sealed, clear=found.clear),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


def _clear_secret(item: dict[str, Any]) -> ClearSecret | None:
    sk = str(item.get("sk", ""))
    place = next((p for prefix, p in _SECRET_PLACES.items() if sk.startswith(prefix)), None)
    if place is None:
        return None
    path, purpose, owner = place
    value: Any = item
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    tenant, owner_id = item.get("tenant_id"), item.get(owner)
    if not (isinstance(value, str) and value and isinstance(tenant, str) and isinstance(owner_id, str)):
        return None
    key = {"pk": str(item["pk"]), "sk": sk}
    return ClearSecret(key, path, SecretContext(tenant, purpose, owner_id), value)
