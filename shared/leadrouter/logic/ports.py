"""The logic's view of the stores: one narrow Protocol per store aggregate.

A use case names what it touches by annotating its repository with a Protocol that combines the few
ports it needs (``class AssignPorts(LeadQueues, Rotation, Transitions, Protocol)``). The composition
root hands it the one ``data.repository.Repository``, which satisfies every port (mypy checks it at
each call); a unit test may hand it a small fake of exactly those ports instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadrouter.data.calling import CallingRecord
from leadrouter.data.cursors import Cursor
from leadrouter.data.repository import PageKey
from leadrouter.data.rotation import Lease
from leadrouter.data.rules import DispatchListing
from leadrouter.data.webhooks import Claim as DeliveryClaim
from leadrouter.data.webhooks import Subscription
from leadrouter.domain.attribution import Touch
from leadrouter.domain.audit import AuditDraft, AuditEntry, ChainHead
from leadrouter.domain.calling import DoNotCallOrigin
from leadrouter.domain.consent import ArchivedNotice, Consents
from leadrouter.domain.contacts import Claim
from leadrouter.domain.dispatch import ReclaimStamp
from leadrouter.domain.erasure import Suppression
from leadrouter.domain.exports import Export
from leadrouter.domain.forms import FormSource
from leadrouter.domain.imports import Import, ImportStatus
from leadrouter.domain.leads import Decision, Lead, LeadEvent
from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.privacy import Retention
from leadrouter.domain.privacy_requests import PrivacyRequest
from leadrouter.domain.rules import Rule
from leadrouter.domain.source_health import SourceHealth
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.submissions import Check, CheckResult, Submission, SubmissionStatus
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.webhooks import Delivery, DeliveryRequest, DeliveryStatus, Webhook

# ---------------------------------------------------------------------- leads


class LeadReads(Protocol):
    """Leads by id and the tenant's listings."""

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None: ...

    def leads_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]: ...

    def tenant_leads(self, tenant_id: str) -> Iterator[Lead]: ...

    def owner_leads(self, tenant_id: str, staff_id: str) -> list[Lead]: ...

    def list_leads(
        self,
        tenant_id: str,
        *,
        received_from: datetime | None,
        received_to: datetime | None,
        filters: Mapping[str, str],
        limit: int,
        start: Cursor | None = None,
        max_evaluated: int = 2000,
    ) -> tuple[list[Lead], Cursor | None]: ...

    def leads_received_between(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[Lead]: ...


class LeadQueues(Protocol):
    """The sweeps' pages: a scope's due pending leads, an owner's idle ones."""

    def due_leads(
        self, tenant_id: str, scope_key: str, queued_before: datetime, limit: int, start: PageKey = None
    ) -> tuple[list[Lead], PageKey]: ...

    def idle_leads(
        self,
        tenant_id: str,
        owner: str,
        scope_key: str,
        idle_before: datetime,
        limit: int,
        start: PageKey = None,
    ) -> tuple[list[Lead], PageKey]: ...


class Workloads(Protocol):
    """What a member holds, for caps."""

    def count_open(self, tenant_id: str, staff_id: str) -> int: ...

    def count_assigned_since(self, tenant_id: str, staff_id: str, since: datetime) -> int: ...


class LeadChanges(Protocol):
    """Intake's inserts and touches, the API's saves on the revision read."""

    def put_new_lead(self, lead: Lead) -> None: ...

    def record_touch(self, tenant_id: str, lead_id: str, touch: Touch) -> None: ...

    def import_leads(self, leads: Sequence[Lead]) -> None: ...

    def save_lead(
        self,
        before: Lead,
        after: Lead,
        event: LeadEvent | None = None,
        *,
        claim: Sequence[str] = (),
        release: Sequence[str] = (),
        replacing: Mapping[str, str] | None = None,
        renew: bool = True,
    ) -> Lead: ...

    def save_care(self, before: Lead, after: Lead, event: LeadEvent) -> Lead: ...


class LeadHistory(Protocol):
    """A lead's timeline."""

    def add_event(self, lead: Lead, event: LeadEvent, *, slot: str | None = None) -> bool: ...

    def lead_events(self, tenant_id: str, lead_id: str) -> list[LeadEvent]: ...


class Transitions(Protocol):
    """The routing's conditional writes on a lead's state; False means another writer won."""

    def failure_code(self, error: BaseException) -> str: ...

    def assign_pending(self, lead: Lead, staff_id: str, rule: Rule, decision: Decision) -> bool: ...

    def escalate_pending(self, lead: Lead, decision: Decision) -> bool: ...

    def reclaim_assigned(self, lead: Lead, new_owner: str, decision: Decision) -> bool: ...

    def escalate_assigned(self, lead: Lead, decision: Decision) -> bool: ...

    def record_failure(self, lead: Lead, code: str) -> bool: ...

    def quarantine(self, lead: Lead, decision: Decision, code: str) -> bool: ...

    def record_care(self, tenant_id: str, lead_id: str, at: datetime) -> bool: ...


class Contacts(Protocol):
    """Which lead owns a phone or an email."""

    def claim_contacts(
        self,
        lead: Lead,
        contacts: Sequence[str],
        claimed_at: datetime,
        replacing: Mapping[str, str] | None = None,
    ) -> dict[str, Claim] | None: ...

    def release_claims(self, tenant_id: str, lead_id: str, contacts: Sequence[str]) -> None: ...

    def contact_claims(self, tenant_id: str, contacts: Sequence[str]) -> dict[str, Claim]: ...

    def contact_holder(self, tenant_id: str, contact: str) -> str | None: ...

    def contact_holders(self, tenant_id: str, contacts: Sequence[str]) -> dict[str, str]: ...


class Notices(Protocol):
    """The archive of every version of the tenant's consent notices, saved with its privacy settings."""

    def archived_notices(
        self, tenant_id: str, refs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], ArchivedNotice]: ...

    def save_privacy(
        self, before: Tenant | None, after: Tenant, notices: Sequence[ArchivedNotice]
    ) -> Tenant: ...


class ConsentChanges(Protocol):
    """A lead's consents, replaced on the revision read."""

    def save_consents(self, before: Lead, consents: Consents) -> Lead: ...


class ContactPeppers(Protocol):
    """Each tenant's secret pepper for ``domain.privacy.contact_digest`` (created on first use)."""

    def contact_pepper(self, tenant_id: str) -> bytes: ...

    def existing_pepper(self, tenant_id: str) -> bytes | None: ...


class CallingLists(Protocol):
    """Do-Not-Call lists and the advertising-call log, by phone digest (``data.calling``)."""

    def calling_records(self, tenant_id: str, digests: Sequence[str]) -> dict[str, CallingRecord]: ...

    def record_advertising_call(self, tenant_id: str, digest: str, at: datetime) -> None: ...

    def add_do_not_call(
        self, tenant_id: str, digests: Iterable[str], origin: DoNotCallOrigin, at: datetime
    ) -> None: ...

    def remove_do_not_call(self, tenant_id: str, digest: str, origin: DoNotCallOrigin) -> bool: ...

    def count_do_not_call(self, tenant_id: str) -> dict[DoNotCallOrigin, int]: ...


class PepperCopies(Protocol):
    """A tenant's pepper as stored (sealed), kept beside the erasure receipts and put back after a
    restore of the config table lost it (``logic.privacy.replay``)."""

    def sealed_pepper(self, tenant_id: str) -> str | None: ...

    def restore_pepper(self, tenant_id: str, sealed: str) -> bool: ...


class Suppressions(Protocol):
    """The contacts an erasure put out of reach of imports, as peppered digests."""

    def suppress_contacts(self, tenant_id: str, suppressions: Sequence[Suppression]) -> None: ...

    def has_suppressions(self, tenant_id: str) -> bool: ...

    def suppressed(self, tenant_id: str, digests: Sequence[str]) -> dict[str, Suppression]: ...

    def lift_suppressions(self, tenant_id: str, digests: Sequence[str]) -> None: ...


class PersonalData(Protocol):
    """Where an erasure finds a person beyond their claims, and what it rewrites there."""

    def leads_carrying(self, tenant_id: str, phone: str | None, email: str | None) -> list[Lead]: ...

    def tenant_claims(self, tenant_id: str) -> Iterator[tuple[str, str]]: ...

    def tenant_submissions(self, tenant_id: str) -> Iterator[Submission]: ...

    def erase_history_texts(self, tenant_id: str, lead_id: str) -> int: ...

    def delete_history(self, tenant_id: str, lead_id: str) -> int: ...

    def erase_submission(self, tenant_id: str, submission_id: str) -> bool: ...

    def delete_claims(self, tenant_id: str, contacts: Sequence[str]) -> int: ...

    def erase_import_preview(self, tenant_id: str, import_id: str) -> bool: ...


class Scopes(Protocol):
    """The scopes that ever held a lead, per tenant and per dispatch shard."""

    def mark_scope(self, tenant_id: str, scope_key: str) -> None: ...

    def mark_lead_scope(self, lead: Lead) -> None: ...

    def marked_scopes(self, shard: int | None = None) -> list[tuple[str, str]]: ...

    def tenant_scopes(self, tenant_id: str) -> list[str]: ...


# ---------------------------------------------------------------------- routing state


class DispatchChecks(Protocol):
    """The tick's cheap questions: is anything due at all."""

    def has_due_lead(self, tenant_id: str, scope_key: str, queued_before: datetime) -> bool: ...

    def earliest_held_since(
        self, tenant_id: str, owner: str, scope_key: str, after: datetime, until: datetime | None = None
    ) -> datetime | None: ...


class Rotation(Protocol):
    """A rule's slot counter and its one-sweep-at-a-time lease."""

    def claim_slots(self, rule: Rule, count: int) -> int: ...

    def acquire_lease(
        self, rule: Rule, owner: str, now: datetime, lease: timedelta, interval: timedelta
    ) -> Lease | None: ...

    def release_lease(self, rule: Rule, owner: str) -> None: ...

    def save_reclaim_stamp(self, rule: Rule, stamp: ReclaimStamp) -> None: ...

    def reclaim_stamp(self, rule: Rule) -> ReclaimStamp | None: ...


# ---------------------------------------------------------------------- configuration


class Tenants(Protocol):
    """A tenant's settings item."""

    def put_tenant(self, tenant: Tenant) -> None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def save_tenant(self, before: Tenant | None, after: Tenant) -> Tenant: ...


class Staff(Protocol):
    """A tenant's staff members."""

    def put_staff(self, member: StaffMember, *, new: bool = False) -> None: ...

    def update_staff(self, before: StaffMember, after: StaffMember) -> StaffMember: ...

    def get_staff(self, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]: ...

    def list_staff(self, tenant_id: str) -> list[StaffMember]: ...


class Rules(Protocol):
    """A tenant's rules, versioned."""

    def create_rule(self, rule: Rule) -> None: ...

    def save_rule(self, before: Rule, after: Rule) -> Rule: ...

    def get_rule(self, tenant_id: str, rule_id: str) -> Rule | None: ...

    def list_rules(self, tenant_id: str) -> list[Rule]: ...

    def delete_rule(self, tenant_id: str, rule_id: str) -> None: ...


class ActiveRules(Protocol):
    """The cross-tenant listing of active rules, and tenants' requests to sweep every rule."""

    def active_rules(self, action: str, shard: int | None = None) -> list[Rule]: ...

    def dispatch_listing(self, action: str, shard: int | None = None) -> DispatchListing: ...

    def ask_recheck(self, tenant_id: str, until: datetime) -> None: ...


class Sources(Protocol):
    """A tenant's form sources, by id or by key hash."""

    def put_form_source(self, source: FormSource, key_hash: str) -> None: ...

    def save_form_source(self, before: FormSource, after: FormSource) -> FormSource: ...

    def form_source_by_key_hash(self, key_hash: str) -> FormSource | None: ...

    def get_form_source(self, tenant_id: str, source_id: str) -> FormSource | None: ...

    def list_form_sources(self, tenant_id: str) -> list[FormSource]: ...


class SourceHealthNotes(Protocol):
    """What a source's deliveries did lately: refusals, errors, the last delivery."""

    def note_source_refusal(self, source: FormSource, reason: str, now: datetime) -> None: ...

    def note_source_delivery(self, source: FormSource, now: datetime) -> None: ...

    def note_source_error(
        self, source: FormSource, error: str, now: datetime, *, unhealthy: bool
    ) -> None: ...

    def note_source_healthy(self, source: FormSource) -> None: ...

    def source_health(self, tenant_id: str, source_id: str) -> SourceHealth: ...


class Pools(Protocol):
    """A tenant's data-pool settings."""

    def get_pool_settings(self, tenant_id: str, pool: str, *, cached: bool = False) -> PoolSettings: ...

    def save_pool_settings(self, before: PoolSettings, after: PoolSettings) -> PoolSettings: ...

    def put_pool_settings(self, settings: PoolSettings) -> None: ...


# ---------------------------------------------------------------------- intake and events


class Submissions(Protocol):
    """Every request a source's endpoint received, stored first."""

    def store_submission(self, record: Submission) -> Submission | None: ...

    def get_submission(self, tenant_id: str, submission_id: str) -> Submission | None: ...

    def finish_submission(
        self,
        record: Submission,
        status: SubmissionStatus,
        *,
        reason: str | None = None,
        answer: dict[str, Any] | None = None,
        replayed: bool = False,
        checks: dict[Check, CheckResult] | None = None,
    ) -> Submission: ...

    def add_submission_fields(self, record: Submission, pairs: Sequence[tuple[str, str]]) -> Submission: ...

    def list_submissions(
        self,
        tenant_id: str,
        *,
        statuses: Collection[SubmissionStatus] = (),
        source_id: str | None,
        limit: int,
        start: Cursor | None = None,
    ) -> tuple[list[Submission], Cursor | None]: ...


class Limits(Protocol):
    """Requests counted per rate-limit window."""

    def claim_in_window(
        self, scope: str, window_start: int, limit: int, want: int, expires_at: int
    ) -> int: ...


class Webhooks(Protocol):
    """A tenant's webhooks and who subscribes to what."""

    def create_webhook(self, webhook: Webhook, secret: str) -> None: ...

    def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None: ...

    def list_webhooks(self, tenant_id: str) -> list[Webhook]: ...

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> None: ...

    def subscriptions(self, tenant_id: str, *, fresh: bool = False) -> list[Subscription]: ...


class Deliveries(Protocol):
    """Each webhook delivery's lease and log."""

    def claim_delivery(
        self, request: DeliveryRequest, holder: str, now: datetime, lease_seconds: int
    ) -> DeliveryClaim: ...

    def finish_delivery(
        self,
        request: DeliveryRequest,
        holder: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> bool: ...

    def get_delivery(self, request: DeliveryRequest) -> Delivery | None: ...

    def list_deliveries(
        self, tenant_id: str, webhook_id: str, *, limit: int, start: Cursor | None = None
    ) -> tuple[list[Delivery], Cursor | None]: ...


class Exports(Protocol):
    """A tenant's lead exports: the record of each (who, when, which filter, how many rows)."""

    def put_export(self, export: Export) -> None: ...

    def get_export(self, tenant_id: str, export_id: str) -> Export | None: ...

    def list_exports(
        self, tenant_id: str, *, requested_by: str | None, limit: int, start: Cursor | None = None
    ) -> tuple[list[Export], Cursor | None]: ...


class Imports(Protocol):
    """A tenant's customer-list imports: the record, each chunk counted once, the remembered mapping."""

    def put_import(self, record: Import, *, expected: Sequence[ImportStatus] = ()) -> None: ...

    def get_import(self, tenant_id: str, import_id: str) -> Import | None: ...

    def list_imports(self, tenant_id: str, *, limit: int) -> list[Import]: ...

    def set_import_status(
        self,
        tenant_id: str,
        import_id: str,
        *,
        expected: Sequence[ImportStatus],
        status: ImportStatus,
        at: datetime,
        fields: Mapping[str, Any] | None = None,
    ) -> bool: ...

    def count_chunk(
        self, tenant_id: str, import_id: str, stage: str, chunk: int, counts: Mapping[str, int]
    ) -> bool: ...

    def counted_chunks(self, tenant_id: str, import_id: str, stage: str) -> set[int]: ...

    def clear_chunk_counts(self, tenant_id: str, import_id: str, stage: str) -> None: ...

    def put_import_mapping(
        self, tenant_id: str, headers: Sequence[str], mapping: Mapping[str, Any]
    ) -> None: ...

    def get_import_mapping(self, tenant_id: str) -> tuple[list[str], dict[str, Any]] | None: ...

    def file_first_read(self, tenant_id: str, sha256: str, at: datetime) -> datetime: ...


# ---------------------------------------------------------------------- privacy


class PrivacyRequests(Protocol):
    """A tenant's data-subject requests, and the open ones of every tenant (the deadline alert)."""

    def create_privacy_request(self, request: PrivacyRequest) -> None: ...

    def save_privacy_request(self, before: PrivacyRequest, after: PrivacyRequest) -> PrivacyRequest: ...

    def get_privacy_request(self, tenant_id: str, request_id: str) -> PrivacyRequest | None: ...

    def list_privacy_requests(self, tenant_id: str) -> list[PrivacyRequest]: ...

    def open_privacy_requests(self, shard: int | None = None) -> list[PrivacyRequest]: ...


class AuditTrail(Protocol):
    """The access audit's chain: each entry added as the newest of its tenant's."""

    def append_audit(self, draft: AuditDraft) -> AuditEntry: ...


class RetentionPeriods(Protocol):
    """A tenant's retention periods, from the per-container settings cache the stamping writes use."""

    def retention_periods(self, tenant_id: str) -> Retention: ...


class AuditLog(Protocol):
    """The access audit as admins read and verify it."""

    def audit_head(self, tenant_id: str) -> ChainHead | None: ...

    def audit_chain(self, tenant_id: str, *, from_seq: int, limit: int) -> list[AuditEntry]: ...

    def audit_entries(
        self,
        tenant_id: str,
        *,
        now: datetime,
        lead_id: str | None = None,
        actor: str | None = None,
        limit: int,
        start: Cursor | None = None,
    ) -> tuple[list[AuditEntry], Cursor | None]: ...
