"""Consent per purpose: the tenant's privacy settings (admin only) and a lead's consents.

``/privacy/settings``: the purposes with the notice text shown for each, retention and calling hours.
Every notice version is archived when saved, and a text may not change under an existing version, so
a consent record can always be shown the words it points at. ``/leads/{lead_id}/consents``: the
latest answer per purpose, every answer given, and the notice texts they point at; staff record what
a person said, or a withdrawal (routing obeys it from the next sweep; integrators get
``ConsentWithdrawn``).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from leadrouter.api.context import PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.api.forms.snippet import consent_fields
from leadrouter.logic.privacy import answers as lead_answers
from leadrouter.logic.privacy import consents
from leadrouter.runtime import repository

router = Router()

_NO_LEAD = "no such lead in the caller's tenant, or not one the caller may see"


class PrivacySettingsOut(consents.PrivacySettingsView):
    consent_fields: str = Field(
        description="the consent boxes of the current notices as HTML, to paste into a form made earlier "
        "(each unticked, its notice as the label, its version in a hidden field)"
    )

    @classmethod
    def of(cls, view: consents.PrivacySettingsView) -> PrivacySettingsOut:
        return cls(**dict(view), consent_fields=consent_fields(view.settings.purposes))


@router.get(
    "/privacy/settings",
    summary="The tenant's privacy settings: purposes and notices, retention, calling hours",
    description=(
        "A tenant that never saved them has the defaults: five purposes with Vietnamese notices, "
        "retention per kind of data, advertising calls 08:00-17:00. `consent_fields` is the HTML of "
        "the consent boxes for the current notices."
    ),
    tags=["privacy"],
)
def get_settings() -> PrivacySettingsOut:
    caller = caller_of(router, "admin")
    return PrivacySettingsOut.of(consents.get_settings(repository(), caller))


@router.put(
    "/privacy/settings",
    summary="Replace the tenant's privacy settings (purposes and notices, retention, calling hours)",
    description=(
        "The body replaces the settings whole. Every notice version shown is archived, so a consent "
        "record keeps pointing at its exact words: a notice whose text changed without a new "
        "`notice_version` is a 422 naming it, and nothing is written. 409 if the settings changed "
        "meanwhile (or are not at `expected_revision`). A form made earlier keeps posting its versions, "
        "which stay valid; paste `consent_fields` into it to show the new ones."
    ),
    responses=answers(
        "the settings as saved",
        conflict="the settings changed since they were read (or are not at expected_revision)",
    ),
    tags=["privacy"],
)
def put_settings(body: consents.PrivacySettingsIn) -> PrivacySettingsOut:
    caller = caller_of(router, "admin")
    return PrivacySettingsOut.of(consents.replace_settings(repository(), caller, body, now()))


@router.get(
    "/leads/<lead_id>/consents",
    summary="A lead's consent per purpose, every answer given, and the notice texts they point at",
    description=(
        "`consents` holds the latest answer per purpose (a purpose absent is unknown, never granted); "
        "`history` every answer recorded, oldest first, with its evidence (the stored submission, or "
        "the staff member who recorded it); `notices` the exact text of each notice version named, "
        "whose SHA-256 is the records' `notice_sha256`."
    ),
    responses=answers("the lead's consents and their history", not_found=_NO_LEAD),
    tags=["privacy"],
)
def get_lead_consents(lead_id: PathIdent) -> lead_answers.LeadConsents:
    return lead_answers.lead_consents(repository(), caller_of(router), lead_id)


@router.post(
    "/leads/<lead_id>/consents",
    summary="Record what the person said about a purpose, or their withdrawal",
    description=(
        "granted or refused: what the person answered when a staff member asked (by phone, in "
        "person), against the notice version read to them (default: the current one). withdrawn: "
        "they took a consent back; routing stops that purpose from its next sweep and integrators get "
        "a ConsentWithdrawn event. The staff member is recorded as `by`. 422 for a purpose the tenant "
        "does not have or a version it never showed."
    ),
    responses=answers(
        "the lead's consents after the answer", status=201, not_found=_NO_LEAD, conflict="retry"
    ),
    tags=["privacy"],
)
def post_lead_consent(
    lead_id: PathIdent, body: lead_answers.ConsentChange
) -> Response[lead_answers.LeadConsents]:
    result = lead_answers.record_change(repository(), caller_of(router), lead_id, body, now())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=result)
