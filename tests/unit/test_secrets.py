"""Tenants' secrets at rest: sealed in the config table (moto's KMS, or the local key of ``make run``),
bound to their tenant, purpose and item, opened only to sign or to verify, never shown after creation."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.repository import Repository
from leadrouter.data.secrets import KmsSecretBox, LocalSecretBox
from leadrouter.domain.forms import CaptchaSettings, FormDoor
from leadrouter.domain.keys import hash_form_key
from leadrouter.domain.secrets import (
    SecretBox,
    SecretContext,
    SecretsUnavailable,
    SecretUnreadable,
    captcha_secret_context,
    is_sealed,
    reveal,
    seal_stored,
    webhook_secret_context,
)
from leadrouter.domain.webhooks import DeliveryRequest, DeliveryStatus
from leadrouter.runtime import secret_box
from leadrouter.signing import HEADER, verify
from tests.support.api import FORM_KEY, add_form_source, call_as, claims, config_items
from tests.support.captcha import fake_captcha
from tests.support.forms import post_form
from tests.support.webhooks import Queues, Receiver, assigned, create_queues, receiver_factory, run_delivery

OTHER_ADMIN = claims("admin", tenant="globex")
CONTEXT = webhook_secret_context("acme", "W1")
MOVED = {
    "to another tenant": webhook_secret_context("globex", "W1"),
    "to another item": webhook_secret_context("acme", "W2"),
    "to another purpose": captcha_secret_context("acme", "W1"),
}
CAPTCHA_SECRET = "0x4AAAAAAA-the-admins-own-captcha-secret"


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


@pytest.fixture
def queues(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Queues:
    return create_queues(monkeypatch)


@pytest.fixture
def kms_box(moto_tables: dict[str, str]) -> KmsSecretBox:
    return KmsSecretBox(os.environ["SECRETS_KEY_ID"], boto3.client("kms", region_name="ap-southeast-1"))


@pytest.fixture
def captcha(monkeypatch: pytest.MonkeyPatch) -> Any:
    with fake_captcha(monkeypatch, CAPTCHA_SECRET) as fake:
        yield fake


def _config_client() -> Any:
    return boto3.client("dynamodb", region_name="ap-southeast-1")


def _set_raw(tables: dict[str, str], key: dict[str, str], path: str, value: str) -> None:
    """What a bad restore, a script or an attacker with table access would do: rewrite one attribute."""
    names = {f"#p{i}": part for i, part in enumerate(path.split("."))}
    _config_client().update_item(
        TableName=tables["ConfigTable"],
        Key={k: {"S": v} for k, v in key.items()},
        UpdateExpression="SET " + ".".join(names) + " = :v",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":v": {"S": value}},
    )
    SETTINGS_CACHE.forget()  # as another container would read it


# ------------------------------------------------------------------ the boxes
@pytest.mark.parametrize("kind", ["kms", "local"])
def test_a_sealed_secret_opens_only_in_its_own_context(kind: str, kms_box: KmsSecretBox, tmp_path: Path):
    box: SecretBox = kms_box if kind == "kms" else LocalSecretBox.from_file(tmp_path / "secrets.key")
    # Given a secret sealed for acme's webhook W1
    sealed = box.seal("whsec_" + "k" * 43, CONTEXT)
    assert is_sealed(sealed) and "k" * 8 not in sealed
    # Then it opens there
    assert box.open(sealed, CONTEXT) == "whsec_" + "k" * 43
    # ... and nowhere else: not for another tenant, another item or another purpose
    for context in MOVED.values():
        with pytest.raises(SecretUnreadable):
            box.open(sealed, context)
    # ... and an altered value never opens
    with pytest.raises(SecretUnreadable):
        box.open(_altered(sealed), CONTEXT)


def _altered(sealed: str) -> str:
    """The same sealed value with one bit of its ciphertext flipped."""
    prefix, _, body = sealed.rpartition(":")
    blob = bytearray(base64.b64decode(body))
    blob[len(blob) // 2] ^= 0x01
    return f"{prefix}:{base64.b64encode(bytes(blob)).decode()}"


def test_one_box_never_opens_what_another_sealed(kms_box: KmsSecretBox, tmp_path: Path):
    local = LocalSecretBox.from_file(tmp_path / "a.key")
    other_local = LocalSecretBox.from_file(tmp_path / "b.key")
    with pytest.raises(SecretUnreadable):
        kms_box.open(local.seal("x", CONTEXT), CONTEXT)
    with pytest.raises(SecretUnreadable):
        local.open(kms_box.seal("x", CONTEXT), CONTEXT)
    with pytest.raises(SecretUnreadable):
        other_local.open(local.seal("x", CONTEXT), CONTEXT)


def test_the_local_key_is_made_once_readable_by_its_owner_and_shared_by_every_box_on_it(tmp_path: Path):
    path = tmp_path / "state" / "secrets.key"
    first = LocalSecretBox.from_file(path)
    again = LocalSecretBox.from_file(path)  # another function of `make run`, or the next run
    assert path.stat().st_mode & 0o777 == 0o600 and len(path.read_bytes()) == 32
    assert again.open(first.seal("s", CONTEXT), CONTEXT) == "s"
    assert [p.name for p in path.parent.iterdir()] == ["secrets.key"]


class _CountingKms:
    def __init__(self, client: Any, fail_with: str | None = None) -> None:
        self._client = client
        self.fail_with = fail_with
        self.decrypts = 0

    def encrypt(self, **kwargs: Any) -> Any:
        return self._client.encrypt(**kwargs)

    def decrypt(self, **kwargs: Any) -> Any:
        self.decrypts += 1
        if self.fail_with:
            raise ClientError({"Error": {"Code": self.fail_with, "Message": "no"}}, "Decrypt")
        return self._client.decrypt(**kwargs)


def test_kms_trouble_is_unavailable_not_unreadable_and_an_opened_secret_is_not_decrypted_again(
    moto_tables: dict[str, str],
):
    kms = _CountingKms(boto3.client("kms", region_name="ap-southeast-1"))
    box = KmsSecretBox(os.environ["SECRETS_KEY_ID"], client=kms)
    sealed = box.seal("whsec_x", CONTEXT)
    # When KMS throttles, the caller may try again later
    kms.fail_with = "ThrottlingException"
    with pytest.raises(SecretsUnavailable):
        box.open(sealed, CONTEXT)
    # Once it answers, a warm container opens each secret once, not once per delivery
    kms.fail_with = None
    assert [box.open(sealed, CONTEXT) for _ in range(3)] == ["whsec_x"] * 3
    assert kms.decrypts == 2


def test_a_value_stored_in_clear_before_sealing_still_reads_and_is_sealed_when_saved(kms_box: KmsSecretBox):
    assert reveal(kms_box, "whsec_from_before", CONTEXT) == "whsec_from_before"
    sealed = seal_stored(kms_box, "whsec_from_before", CONTEXT)
    assert is_sealed(sealed) and seal_stored(kms_box, sealed, CONTEXT) == sealed
    assert reveal(kms_box, sealed, CONTEXT) == "whsec_from_before"


# ------------------------------------------------------------------ webhook signing secrets
def test_a_webhooks_signing_secret_is_stored_sealed_and_signs_with_the_secret_the_tenant_was_shown(
    moto_tables: dict[str, str], queues: Queues, receivers: Callable[..., Receiver]
):
    # Given an admin registers a webhook and is shown its secret
    receiver = receivers(200)
    created = call_as("POST", "/webhooks", {"url": receiver.url})
    assert created.status == 201, created.body
    secret, webhook_id = created.body["secret"], created.body["webhook"]["webhook_id"]

    # Then the config table holds no clear copy of it, only a sealed one
    items = config_items(moto_tables)
    assert secret not in json.dumps(items) and secret.removeprefix("whsec_") not in json.dumps(items)
    (item,) = [i for i in items if i["sk"]["S"] == f"WEBHOOK#{webhook_id}"]
    assert item["secret"]["S"].startswith("sealed:kms:")
    # ... and no answer shows the secret or its sealed form
    answers = json.dumps([call_as("GET", "/webhooks").body, call_as("GET", f"/webhooks/{webhook_id}").body])
    assert secret not in answers and "sealed:" not in answers and "secret" not in answers

    # When an event is delivered
    request = DeliveryRequest(tenant_id="acme", webhook_id=webhook_id, event=assigned())
    queues.client.send_message(QueueUrl=queues.delivery, MessageBody=request.model_dump_json())
    assert run_delivery(queues) == (1, [])

    # Then the receiver verifies it with the secret it was shown
    (received,) = receiver.received
    verify(secret, received.headers[HEADER], received.body, now=time.time())


def test_a_signing_secret_copied_to_another_tenants_webhook_never_signs_and_its_delivery_ends_safely(
    moto_tables: dict[str, str], moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given two tenants' webhooks, and acme's sealed secret copied onto globex's webhook
    ours, theirs = receivers(200), receivers(200)
    acme = call_as("POST", "/webhooks", {"url": ours.url}).body
    globex = call_as("POST", "/webhooks", {"url": theirs.url}, who=OTHER_ADMIN).body
    acme_item = next(
        i for i in config_items(moto_tables) if i["sk"]["S"] == f"WEBHOOK#{acme['webhook']['webhook_id']}"
    )
    globex_key = {"pk": "TENANT#globex", "sk": f"WEBHOOK#{globex['webhook']['webhook_id']}"}
    _set_raw(moto_tables, globex_key, "secret", acme_item["secret"]["S"])

    # When an event of each tenant is delivered in one batch
    theirs_request = DeliveryRequest(
        tenant_id="globex", webhook_id=globex["webhook"]["webhook_id"], event=assigned(tenant="globex")
    )
    ours_request = DeliveryRequest(
        tenant_id="acme", webhook_id=acme["webhook"]["webhook_id"], event=assigned()
    )
    for request in (theirs_request, ours_request):
        queues.client.send_message(QueueUrl=queues.delivery, MessageBody=request.model_dump_json())
    handled, failed = run_delivery(queues)

    # Then globex's receiver gets nothing (neither signed with acme's secret nor unsigned) ...
    assert theirs.received == []
    # ... its delivery is logged dead with the reason, and its message is consumed: no retry loop
    logged = moto_repo.get_delivery(theirs_request)
    assert logged is not None and logged.status is DeliveryStatus.DEAD
    assert logged.last_error is not None and "signing secret" in logged.last_error
    assert (handled, failed) == (2, [])
    assert queues.count(queues.delivery) == 0 and queues.count(queues.dead) == 0
    # ... while acme's delivery in the same batch went out, signed with acme's own secret
    (received,) = ours.received
    verify(acme["secret"], received.headers[HEADER], received.body, now=time.time())


def test_when_kms_cannot_answer_the_delivery_is_retried_on_its_schedule_and_nothing_is_posted(
    moto_tables: dict[str, str],
    moto_repo: Repository,
    queues: Queues,
    receivers: Callable[..., Receiver],
    monkeypatch: pytest.MonkeyPatch,
):
    receiver = receivers(200)
    created = call_as("POST", "/webhooks", {"url": receiver.url}).body

    class Throttled:
        def seal(self, plaintext: str, context: SecretContext) -> str:
            raise SecretsUnavailable("throttled")

        def open(self, sealed: str, context: SecretContext) -> str:
            raise SecretsUnavailable("throttled")

    monkeypatch.setattr("functions.webhook_delivery.app.secret_box", Throttled)
    request = DeliveryRequest(tenant_id="acme", webhook_id=created["webhook"]["webhook_id"], event=assigned())
    queues.client.send_message(QueueUrl=queues.delivery, MessageBody=request.model_dump_json())
    handled, failed = run_delivery(queues)
    assert handled == 1 and len(failed) == 1  # the message comes back ...
    assert queues.spy.visibility == [30]  # ... after the schedule's first delay
    assert receiver.received == []
    logged = moto_repo.get_delivery(request)
    assert logged is not None and logged.status is DeliveryStatus.RETRYING


# ------------------------------------------------------------------ CAPTCHA secrets
def _turnstile(secret: str = CAPTCHA_SECRET) -> dict[str, str]:
    return {"provider": "turnstile", "site_key": "0x4AAA-site", "secret": secret}


def _post_with_token(key: str) -> Any:
    return post_form([("name", "An"), ("phone", "0912345678"), ("cf-turnstile-response", "pass")], key=key)


def test_a_captcha_secret_is_stored_sealed_on_both_items_and_verifies_with_what_the_admin_set(
    moto_tables: dict[str, str], moto_repo: Repository, captcha: Any
):
    # Given an admin creates a source with a CAPTCHA secret
    created = call_as(
        "POST", "/form-sources", {"name": "Landing", "pool": "web", "web_form": {"captcha": _turnstile()}}
    )
    assert created.status == 201, created.body
    source_id = created.body["source"]["source_id"]

    # Then neither the source item nor its form-key item holds it in clear
    items = config_items(moto_tables)
    assert CAPTCHA_SECRET not in json.dumps(items)
    stored = [i["web_form"]["M"]["captcha"]["M"]["secret"]["S"] for i in items if "web_form" in i]
    assert len(stored) == 2 and all(s.startswith("sealed:kms:") for s in stored)
    # ... no answer shows it, nor its sealed form
    listed = call_as("GET", "/form-sources")
    edited = call_as("PATCH", f"/form-sources/{source_id}", {"rev": 0, "name": "Landing Tết"})
    assert edited.status == 200, edited.body
    answers = json.dumps([created.body, listed.body, edited.body])
    assert CAPTCHA_SECRET not in answers and "sealed:" not in answers

    # When a visitor posts with a token, the provider is asked with the admin's secret
    reply = _post_with_token(created.body["form_key"])
    assert reply.status == 201, reply.body
    assert captcha.received[-1].form["secret"] == CAPTCHA_SECRET


def test_a_captcha_secret_copied_to_another_tenants_source_does_not_open_and_the_submission_is_kept(
    moto_tables: dict[str, str], moto_repo: Repository, captcha: Any
):
    # Given acme's sealed CAPTCHA secret copied onto globex's source (both of its items)
    body = {"name": "Landing", "pool": "web", "web_form": {"captcha": _turnstile()}}
    call_as("POST", "/form-sources", body)
    theirs = call_as(
        "POST", "/form-sources", {**body, "web_form": {"captcha": _turnstile("0x4-other")}}, who=OTHER_ADMIN
    )
    items = config_items(moto_tables)
    acme_sealed = next(
        i["web_form"]["M"]["captcha"]["M"]["secret"]["S"] for i in items if i["pk"]["S"] == "TENANT#acme"
    )
    for item in items:
        if item.get("tenant_id", {}).get("S") == "globex" and "web_form" in item:
            key = {"pk": item["pk"]["S"], "sk": item["sk"]["S"]}
            _set_raw(moto_tables, key, "web_form.captcha.secret", acme_sealed)

    # When a visitor posts to globex's form
    asked = len(captcha.received)
    reply = _post_with_token(theirs.body["form_key"])

    # Then the secret does not open: the provider is not asked, the visitor may retry (503), and the
    # submission is stored as failed, for the admin to replay once the secret is set again
    assert reply.status == 503, reply.body
    assert len(captcha.received) == asked
    (record,) = moto_repo.list_submissions("globex", source_id=None, limit=10)[0]
    assert (record.status, record.reason) == ("failed", "captcha_unavailable")


def test_a_captcha_secret_stored_in_clear_before_sealing_still_verifies_and_is_sealed_on_the_next_save(
    moto_tables: dict[str, str], moto_repo: Repository, captcha: Any
):
    # Given a source written before secrets were sealed
    setting = CaptchaSettings(provider="turnstile", site_key="site", secret=CAPTCHA_SECRET)
    add_form_source(moto_repo, web_form=FormDoor(captcha=setting))
    # Then visitors are still verified with it
    assert _post_with_token(FORM_KEY).status == 201
    assert captcha.received[-1].form["secret"] == CAPTCHA_SECRET
    # When an admin edits anything of the source
    assert call_as("PATCH", "/form-sources/web-form", {"rev": 0, "name": "Renamed"}).status == 200
    # Then the secret is stored sealed from then on, and still verifies visitors
    assert CAPTCHA_SECRET not in json.dumps(config_items(moto_tables))
    stored = moto_repo.get_form_source("acme", "web-form")
    assert stored is not None and stored.web_form.captcha is not None
    assert secret_box().open(stored.web_form.captcha.secret, captcha_secret_context("acme", "web-form")) == (
        CAPTCHA_SECRET
    )


# ------------------------------------------------------------------ the one-off for secrets stored in clear
def test_the_one_off_seals_every_secret_stored_in_clear_and_each_still_opens_to_its_value(
    moto_tables: dict[str, str], moto_repo: Repository, capsys: pytest.CaptureFixture[str]
):
    from leadrouter.seal_secrets import main
    from tests.support.webhooks import webhook

    # Given a webhook and a CAPTCHA source written before secrets were sealed, and one webhook after
    moto_repo.create_webhook(webhook("https://a.example.com/h", webhook_id="W1"), "whsec_" + "c" * 43)
    setting = CaptchaSettings(provider="turnstile", site_key="site", secret=CAPTCHA_SECRET)
    add_form_source(moto_repo, web_form=FormDoor(captcha=setting))
    sealed_already = secret_box().seal("whsec_" + "n" * 43, webhook_secret_context("acme", "W2"))
    moto_repo.create_webhook(webhook("https://b.example.com/h", webhook_id="W2"), sealed_already)

    # When the one-off runs (twice: the second finds nothing)
    main([])
    main([])

    # Then no secret is left in clear: the webhook's and both items of the source are sealed
    assert capsys.readouterr().out.splitlines() == [
        "sealed 3 secret(s); 0 changed meanwhile (already sealed by a save)",
        "sealed 0 secret(s); 0 changed meanwhile (already sealed by a save)",
    ]
    raw = json.dumps(config_items(moto_tables))
    assert "c" * 43 not in raw and CAPTCHA_SECRET not in raw
    # ... each opens to what it was, where it is, and the sealed one was left alone
    (first, second) = sorted(moto_repo.subscriptions("acme", fresh=True), key=lambda s: s.webhook.webhook_id)
    assert secret_box().open(first.secret, CONTEXT) == "whsec_" + "c" * 43
    assert second.secret == sealed_already
    source = moto_repo.form_source_by_key_hash(hash_form_key(FORM_KEY))
    assert source is not None and source.web_form.captcha is not None
    context = captcha_secret_context("acme", "web-form")
    assert secret_box().open(source.web_form.captcha.secret, context) == CAPTCHA_SECRET
