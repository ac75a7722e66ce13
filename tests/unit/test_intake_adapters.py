"""Intake's seam: one adapter per source kind, chosen by a registry, behind one shared pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Check, CheckResult, Submission, SubmissionStatus
from leadrouter.logic.intake.adapters import ADAPTERS, Adapters, UnknownSourceKind
from leadrouter.logic.intake.adapters.base import (
    NO_HANDSHAKE,
    Arrival,
    Decoded,
    DoorRequest,
    NotAuthenticated,
    PlatformHttp,
    PlatformSettings,
    Reply,
    Screening,
    SourceAdapter,
    SourceSecrets,
    Verifier,
)
from leadrouter.logic.intake.adapters.json_api import JsonApiAdapter
from leadrouter.logic.intake.adapters.web_form import WebFormAdapter
from leadrouter.logic.intake.limits import DoorLimits
from leadrouter.logic.intake.new_leads import IntakeRequest
from leadrouter.logic.intake.reception import take
from tests.support.api import FORM_KEY, add_form_source
from tests.support.builders import TENANT
from tests.support.forms import FETCH, post_raw

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------ the registry
@pytest.mark.parametrize(
    ("kind", "adapter", "channel"),
    [("web_form", WebFormAdapter, "form"), ("json_api", JsonApiAdapter, "json")],
)
def test_each_kind_maps_to_its_adapter_and_its_records_back_to_it(
    kind: SourceKind, adapter: type[object], channel: Channel
) -> None:
    chosen = ADAPTERS.of_kind(kind)
    assert type(chosen) is adapter
    assert chosen.kind == kind
    assert ADAPTERS.of_channel(channel) is chosen


def test_an_unknown_kind_is_refused_naming_it_and_the_kinds_there_are() -> None:
    with pytest.raises(UnknownSourceKind) as refused:
        Adapters([WebFormAdapter(), JsonApiAdapter()]).of_kind("meta_lead_ads")
    assert "'meta_lead_ads'" in str(refused.value)
    assert refused.value.fields == {"kind": "use one of: json_api, web_form"}
    assert isinstance(refused.value, InvalidInput)


def test_a_stored_source_without_a_kind_is_a_web_form() -> None:
    stored = {"tenant_id": "t1", "source_id": "s1", "name": "Landing", "pool": "web"}
    assert FormSource.model_validate(stored).kind == "web_form"


def test_a_sources_own_url_is_read_by_the_adapter_its_kind_names(moto_repo: Repository) -> None:
    # Given the same JSON body at two sources' own URLs: a web form's, and a CRM's (kind json_api)
    add_form_source(moto_repo)
    add_form_source(moto_repo, "fk_test_crm_0001", source_id="crm", kind="json_api")
    body = json.dumps({"name": "An", "phone": "0912345678", "colour": "red"}).encode()
    # When both are posted
    as_form = post_raw(f"/f/{FORM_KEY}", "application/json", body, FETCH)
    as_api = post_raw("/f/fk_test_crm_0001", "application/json", body, FETCH)
    # Then the web form maps the extra field onto the lead; the typed API refuses it (extra="forbid")
    assert as_form.status == 201, as_form.body
    assert as_api.status == 422, as_api.body
    assert {e["field"] for e in as_api.body["errors"]} == {"colour"}


# ------------------------------------------------------------------ the seam
@dataclass(frozen=True)
class PipeAdapter:
    """A source type the pipeline has never seen: ``name|phone`` text, its id in ``X-Pipe-Id``, a
    shared token in ``X-Pipe-Token``, and one check of its own (no ``blocked`` senders)."""

    kind: SourceKind = "web_form"
    channel: Channel = "form"
    settings_model: type[PlatformSettings] | None = None

    def decode(self, request: DoorRequest) -> Decoded:
        return Decoded(None)

    def form_key(self, request: DoorRequest, decoded: Decoded) -> str | None:
        return request.path_key

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        if request.headers.get("x-pipe-token") != "open sesame":
            raise NotAuthenticated("wrong pipe token", "X-Pipe-Token")
        return True

    def handshake(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> Reply:
        return NO_HANDSHAKE

    def acknowledgement(self) -> Reply | None:
        return None

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        name, _, phone = (request.body or b"").decode().partition("|")
        return Arrival(
            channel=self.channel,
            pairs=(("who", name), ("tel", phone)),
            sender_id=request.headers.get("x-pipe-id"),
            secrets=(form_key,),
        )

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        return [self.arrival(request, decoded, form_key=form_key)]

    def needs_fetch(self, record: Submission) -> bool:
        return False

    def fetch(
        self, source: FormSource, record: Submission, http: PlatformHttp, secrets: SourceSecrets
    ) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError

    def as_configured(self, source: FormSource, arrival: Arrival) -> Arrival:
        return arrival

    def sender_id(self, arrival: Arrival) -> str | None:
        return arrival.sender_id

    def stored_fields(self, arrival: Arrival) -> tuple[tuple[str, str], ...]:
        return arrival.pairs

    def unscreened(self, source: FormSource) -> dict[Check, CheckResult]:
        return {check: CheckResult.OFF for check in Check}

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        if dict(record.fields).get("who") == "blocked":
            return Screening("refused", dict(record.checks), {"who": "not from this pipe"}, 403, "blocked")
        return Screening("passed", dict(record.checks))

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        fields = dict(record.fields)
        return IntakeRequest(name=fields["who"], phone=fields["tel"]), None


class Grants:
    """A shared count that always has room."""

    def claim_in_window(self, scope: str, window_start: int, limit: int, want: int, expires_at: int) -> int:
        return want


def NoLimits() -> DoorLimits:
    return DoorLimits(Grants())


def _pipe(body: bytes, **headers: str) -> DoorRequest:
    return DoorRequest(
        headers={"x-pipe-token": "open sesame", **headers},
        body=body,
        client_ip="192.0.2.1",
        path_key=FORM_KEY,
    )


def test_the_pipeline_stores_first_dedupes_and_makes_the_lead_with_any_adapter(moto_repo: Repository) -> None:
    # Given a registry holding only an adapter the pipeline knows nothing about
    add_form_source(moto_repo)
    pipe: SourceAdapter = PipeAdapter()
    registry = Adapters([pipe])

    # When it delivers a lead, then the same one again under its own id
    first = take(
        moto_repo, NoLimits(), _pipe(b"Lan|0912345678", **{"x-pipe-id": "p-1"}), NOW, adapters=registry
    )
    again = take(
        moto_repo, NoLimits(), _pipe(b"Lan|0912345678", **{"x-pipe-id": "p-1"}), NOW, adapters=registry
    )

    # Then the shared pipeline stored it first, made one lead with the adapter's mapping, and answered the
    # repeat with that lead; the adapter's own credential made the sender trusted
    assert first.refusal is None and first.outcome is not None and first.trusted
    assert first.outcome.status is SubmissionStatus.ACCEPTED and first.outcome.answer is not None
    assert again.outcome is not None and again.outcome.answer == first.outcome.answer
    lead = moto_repo.get_lead(TENANT, first.outcome.answer.lead_id)
    assert lead is not None and lead.phone == "+84912345678" and lead.name == "Lan"
    stored = moto_repo.get_submission(lead.tenant_id, first.outcome.submission_id)
    assert stored is not None and stored.fields == [("who", "Lan"), ("tel", "0912345678")]


def test_the_adapter_screens_and_authenticates_not_the_pipeline(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    registry = Adapters([PipeAdapter()])
    # When the adapter's screen refuses a sender, it is stored and refused as the adapter said
    blocked = take(moto_repo, NoLimits(), _pipe(b"blocked|0912345678"), NOW, adapters=registry)
    assert blocked.outcome is not None and blocked.outcome.status is SubmissionStatus.REJECTED
    assert blocked.outcome.http_status == 403 and blocked.outcome.problems == {"who": "not from this pipe"}
    # …and a wrong credential is refused before anything is stored
    wrong = replace(_pipe(b"Lan|0912345678"), headers={"x-pipe-token": "guess"})
    refused = take(moto_repo, NoLimits(), wrong, NOW, adapters=registry)
    assert refused.refusal is not None and refused.refusal.status == 401
    assert refused.refusal.problems == {"X-Pipe-Token": "wrong pipe token"}
    stored, _ = moto_repo.list_submissions(TENANT, source_id=None, limit=10)
    assert [r.fields for r in stored] == [[("who", "blocked"), ("tel", "0912345678")]]
