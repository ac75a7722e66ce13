"""The registry of every store that can hold a lead's personal data, and what an erasure does there.

One entry per DynamoDB table, SQS queue, S3 bucket, event bus and log group of ``template.yaml``
(``tests/unit/test_personal_data_registry.py`` fails when the template has one the registry lacks, or
the registry names one the template lacks), plus the places that are not template resources (the
leads table's stream, the containers' memory). A store is described by its parts, each with what it
holds and how an erasure treats it:

* ``erased``: the person's items are deleted (or their files);
* ``pseudonymised``: the item stays without the person (ids, statuses, decisions, owners and times are
  kept, so the rotation's history and the reports' counts are intact);
* ``expires``: an erasure does not reach it; it is gone within ``days`` (TTL, retention, lifecycle);
* ``ids_only``: it holds ids, times, statuses and peppered digests, never a name, phone or e-mail;
* ``none``: nothing about any lead.

``logic.privacy.erasure`` counts what it did per store under these logical ids in the receipt.
Pure: no AWS here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Treatment(StrEnum):
    ERASED = "erased"
    PSEUDONYMISED = "pseudonymised"
    EXPIRES = "expires"
    IDS_ONLY = "ids_only"
    NONE = "none"


class StoreKind(StrEnum):
    TABLE = "AWS::DynamoDB::Table"
    QUEUE = "AWS::SQS::Queue"
    BUCKET = "AWS::S3::Bucket"
    BUS = "AWS::Events::EventBus"
    LOG_GROUP = "AWS::Logs::LogGroup"
    #: Not a resource of its own in the template (a table's stream, the containers' memory).
    OTHER = "other"


#: The template resource types the registry must cover, every one of them.
REGISTERED_KINDS = frozenset(kind.value for kind in StoreKind if kind is not StoreKind.OTHER)

#: The template's defaults (parameters LogRetentionDays and FileRetentionDays), in days.
LOG_DAYS = 30
FILE_DAYS = 7
#: DynamoDB keeps a stream record 24 hours.
STREAM_DAYS = 1


@dataclass(frozen=True, slots=True)
class Part:
    """One kind of item in a store: what it holds of a person and what an erasure does with it."""

    what: str
    holds: str
    treatment: Treatment
    how: str
    #: For ``expires``: within how many days it is gone at the latest (the template's setting).
    days: int | None = None


@dataclass(frozen=True, slots=True)
class PersonalDataStore:
    logical_id: str
    kind: StoreKind
    parts: tuple[Part, ...]

    @property
    def treatments(self) -> frozenset[Treatment]:
        return frozenset(part.treatment for part in self.parts)

    @property
    def erasable(self) -> bool:
        """Whether an erasure changes something here (so its receipt counts this store)."""
        return bool(self.treatments & {Treatment.ERASED, Treatment.PSEUDONYMISED})


def _queue(
    logical_id: str, holds: str, days: int, treatment: Treatment = Treatment.IDS_ONLY
) -> PersonalDataStore:
    how = (
        "nothing to erase: messages carry ids only"
        if treatment is Treatment.IDS_ONLY
        else "a queue cannot be searched without consuming it: the messages expire by the queue's retention"
    )
    return PersonalDataStore(
        logical_id, StoreKind.QUEUE, (Part("messages", holds, treatment, how, days=days),)
    )


def _log_group(
    logical_id: str, holds: str = "the function's JSON logs: ids, counts and error kinds"
) -> PersonalDataStore:
    return PersonalDataStore(
        logical_id,
        StoreKind.LOG_GROUP,
        (
            Part(
                "log events",
                holds + " (the house rule: no name, phone or e-mail in logs, checked by the traces tests)",
                Treatment.EXPIRES,
                "kept LogRetentionDays, then deleted by CloudWatch Logs",
                days=LOG_DAYS,
            ),
        ),
    )


_SWEEP_ORDERS = "sweep orders: tenant and rule ids"
_DLQ = 14
_EVENTS = "domain events: lead ids, pools, steps, staff ids and times (never the lead's contact)"

REGISTRY: tuple[PersonalDataStore, ...] = (
    # ------------------------------------------------------------------ tables
    PersonalDataStore(
        "LeadsTable",
        StoreKind.TABLE,
        (
            Part(
                "the person's leads (those holding their contact claims, and any lead whose phone or "
                "e-mail is theirs, duplicates included)",
                "name, phone, phone as typed, e-mail, form fields (attributes), attribution (UTM tags, "
                "click ids, referrer, landing page), consents' evidence",
                Treatment.PSEUDONYMISED,
                "name, phone, e-mail and attributes replaced by the erased placeholders, attribution cut to "
                "its touches' times and campaign tags (utm_source, utm_medium, utm_campaign); "
                "lead id, status, owner, assignees, decisions, rule, scope and times kept (a pending "
                "lead is marked deleted so the rotation does not hand out an empty lead)",
            ),
            Part(
                "index attributes (due_queue, owner_idle keys)",
                "tenant, scope and staff ids only",
                Treatment.IDS_ONLY,
                "unchanged",
            ),
        ),
    ),
    PersonalDataStore(
        "ConfigTable",
        StoreKind.TABLE,
        (
            Part(
                "CONTACT#<phone|email> contact claims",
                "the phone or e-mail in the item's KEY",
                Treatment.ERASED,
                "deleted (a key cannot be rewritten); a lead's claims also go when TTL deletes the lead "
                "(LeadExpiryFunction)",
            ),
            Part(
                "IMPORT#<id> import records",
                "the first rows of the file (preview) as read",
                Treatment.PSEUDONYMISED,
                "the preview of an import whose files held the person is emptied; counts and status kept",
            ),
            Part(
                "SUPPRESSED#<digest> suppression list, PEPPER",
                "peppered HMAC digests of the contact (the pepper sealed by KMS)",
                Treatment.IDS_ONLY,
                "written by the erasure itself",
            ),
            Part(
                "DNC#<digest> Do-Not-Call lists, CALLED#<digest> the advertising-call log",
                "peppered HMAC digests of phone numbers, with times and list origins",
                Treatment.IDS_ONLY,
                "unchanged: a digest without the pepper names nobody; the call log expires after 25 hours",
            ),
            Part(
                "PRIVACYREQ#<id> data-subject requests",
                "the person's phone and e-mail (and corrections) while the request is open",
                Treatment.PSEUDONYMISED,
                "completing a request replaces its contacts by their peppered digests; an erasure "
                "completes its own request so",
            ),
            Part(
                "AUDIT#<seq>, AUDITHEAD the access audit; NOTICE#<purpose>#<version> the consent notices",
                "actors' and leads' ids, times, hashes; the notices' texts",
                Treatment.IDS_ONLY,
                "unchanged: the audit entries expire after the tenant's audit_days",
            ),
            Part(
                "LIMIT#ip:<tenant>:<source>:<ip> rate-limit windows",
                "a sender's IP address (or its /64)",
                Treatment.EXPIRES,
                "deleted by TTL after its one-minute window",
                days=1,
            ),
            Part(
                "TENANT, STAFF#, RULE#, SOURCE#, WEBHOOK#, EXPORT#, POOL#, COUNTER#, LEASE#, SCOPE# …",
                "the tenant's settings and its staff (not leads); export records hold filters only",
                Treatment.NONE,
                "unchanged: rotation counters and rules are what the history is made of",
            ),
        ),
    ),
    PersonalDataStore(
        "EventsTable",
        StoreKind.TABLE,
        (
            Part(
                "the history lines of the person's leads (Tab Hệ thống)",
                "free text of notes and calls",
                Treatment.PSEUDONYMISED,
                "text replaced by the erased placeholder; kind, time, author and data kept",
            ),
        ),
    ),
    PersonalDataStore(
        "SubmissionsTable",
        StoreKind.TABLE,
        (
            Part(
                "the person's stored submissions (those of their leads, and any whose fields hold their "
                "contact); each is also the idempotency record of its sender's id",
                "the decoded body (fields), kept headers (referer, user agent, x-forwarded-for), client IP",
                Treatment.PSEUDONYMISED,
                "fields, headers and client IP removed; key, status, lead id and answer kept, so a retry "
                "of the same delivery still finds its first answer and creates nothing",
            ),
            Part(
                "everyone's submissions",
                "the same",
                Treatment.EXPIRES,
                "deleted by TTL after the tenant's submissions_days (90 by default: domain.privacy)",
                days=90,
            ),
        ),
    ),
    PersonalDataStore(
        "DeliveriesTable",
        StoreKind.TABLE,
        (
            Part(
                "webhook delivery logs",
                "event ids, statuses, response codes and times (events carry no contact)",
                Treatment.IDS_ONLY,
                "nothing to erase; deleted by TTL after the tenant's logs_days (30 by default)",
                days=30,
            ),
        ),
    ),
    # ------------------------------------------------------------------ queues
    _queue("SchedulerDeadLetterQueue", "schedules' failed invocations: ids only", _DLQ),
    _queue("DispatchInvokeDeadLetterQueue", "failed dispatch invocations: ids only", _DLQ),
    _queue("StreamDeadLetterQueue", "pointers to failed stream batches (shard, sequence numbers)", _DLQ),
    _queue("DispatchQueue", _SWEEP_ORDERS, 1),
    _queue("DispatchDeadLetterQueue", _SWEEP_ORDERS, _DLQ),
    _queue("AssignQueue", _SWEEP_ORDERS, 1),
    _queue("AssignDeadLetterQueue", _SWEEP_ORDERS, _DLQ),
    _queue("ReclaimQueue", _SWEEP_ORDERS, 1),
    _queue("ReclaimDeadLetterQueue", _SWEEP_ORDERS, _DLQ),
    _queue("WebhookEventsQueue", _EVENTS, 4),
    _queue("WebhookEventsDeadLetterQueue", _EVENTS, _DLQ),
    _queue("EscalationAlertsQueue", _EVENTS, 4),
    _queue("EscalationAlertsDeadLetterQueue", _EVENTS, _DLQ),
    _queue("WebhookDeliveryQueue", "webhook deliveries: " + _EVENTS, 4),
    _queue("WebhookDeliveryDeadLetterQueue", "webhook deliveries: " + _EVENTS, _DLQ),
    _queue("LeadFetchQueue", "fetch orders: tenant, source and submission ids", 4),
    _queue("LeadFetchDeadLetterQueue", "fetch orders: tenant, source and submission ids", _DLQ),
    _queue(
        "IntakeOverflowQueue",
        "raw form bodies of throttled submissions (the stored record whole), drained within seconds",
        4,
        Treatment.EXPIRES,
    ),
    _queue(
        "IntakeOverflowDeadLetterQueue",
        "raw form bodies the drain could not store; redriving one after an erasure is the person's own "
        "submission arriving late (check the erasure receipts first)",
        _DLQ,
        Treatment.EXPIRES,
    ),
    _queue("ExportQueue", "export orders: tenant and export ids", 1),
    _queue("ExportDeadLetterQueue", "export orders: tenant and export ids", _DLQ),
    _queue("ImportQueue", "import orders: tenant, import ids, stage and chunk number", 4),
    _queue("ImportDeadLetterQueue", "import orders: tenant, import ids, stage and chunk number", _DLQ),
    # ------------------------------------------------------------------ buckets
    PersonalDataStore(
        "FilesBucket",
        StoreKind.BUCKET,
        (
            Part(
                "imports/<tenant>/<import>/… (the upload, its chunks, outcomes and reports) and "
                "imports/<tenant>/files/<sha256>/…",
                "every cell of a customer list; outcome files keep sha256 digests of contacts",
                Treatment.ERASED,
                "every file of an import any of whose files holds the person is deleted (the import's "
                "record stays, its preview emptied); the rest expire FileRetentionDays after upload",
                days=FILE_DAYS,
            ),
            Part(
                "exports/<tenant>/… lead exports (xlsx, csv)",
                "the exported leads' rows",
                Treatment.ERASED,
                "each export file holding the person is deleted (its download then answers gone); the "
                "rest expire FileRetentionDays after they were made",
                days=FILE_DAYS,
            ),
            Part(
                "erasures/<tenant>/… erasure receipts and the sealed pepper",
                "request ids, times, counts and peppered contact digests",
                Treatment.IDS_ONLY,
                "kept: the receipts replayed after a point-in-time restore of the tables",
            ),
        ),
    ),
    PersonalDataStore(
        "ConsoleBucket",
        StoreKind.BUCKET,
        (Part("the console's static files", "nothing about leads", Treatment.NONE, "unchanged"),),
    ),
    # ------------------------------------------------------------------ bus
    PersonalDataStore(
        "EventBus",
        StoreKind.BUS,
        (
            Part(
                "domain events (no archive is configured: nothing is retained)",
                _EVENTS,
                Treatment.IDS_ONLY,
                "nothing to erase",
            ),
        ),
    ),
    # ------------------------------------------------------------------ logs
    _log_group(
        "ApiAccessLogGroup",
        "API Gateway access logs: request id, time, the caller's IP address, method, resource path, status",
    ),
    _log_group("DispatchFunctionLogGroup"),
    _log_group("AssignFunctionLogGroup"),
    _log_group("ReclaimFunctionLogGroup"),
    _log_group("PublishFunctionLogGroup"),
    _log_group("LeadExpiryFunctionLogGroup"),
    _log_group("AlertFunctionLogGroup"),
    _log_group("WebhookFanoutFunctionLogGroup"),
    _log_group("WebhookDeliveryFunctionLogGroup"),
    _log_group("IntakeOverflowFunctionLogGroup"),
    _log_group("LeadFetchFunctionLogGroup"),
    _log_group("LeadExportFunctionLogGroup"),
    _log_group("ImportFunctionLogGroup"),
    _log_group("ApiFunctionLogGroup"),
    # ------------------------------------------------------------------ not template resources
    PersonalDataStore(
        "LeadsTable stream",
        StoreKind.OTHER,
        (
            Part(
                "NEW_AND_OLD_IMAGES of every lead change",
                "the lead as before and after the change, the erasure's own change included",
                Treatment.EXPIRES,
                "DynamoDB deletes stream records after 24 hours",
                days=STREAM_DAYS,
            ),
        ),
    ),
    PersonalDataStore(
        "UserPool",
        StoreKind.OTHER,
        (
            Part(
                "the tenants' users (Cognito)",
                "staff's names and e-mails: the tenant's people, not its leads",
                Treatment.NONE,
                "not a data subject of the leads: a user is removed through /users",
            ),
        ),
    ),
    PersonalDataStore(
        "Escalation e-mails (SES)",
        StoreKind.OTHER,
        (
            Part(
                "alert e-mails sent to the tenant's named recipients",
                "the lead's id, the tenant's name and the reason (logic.events.alerts.alert_email)",
                Treatment.IDS_ONLY,
                "nothing to erase",
            ),
        ),
    ),
    PersonalDataStore(
        "Lambda containers' memory",
        StoreKind.OTHER,
        (
            Part(
                "per-container caches: settings (sources, pools, webhooks), opened secrets and peppers",
                "no lead's contact",
                Treatment.NONE,
                "nothing to erase",
            ),
            Part(
                "the public door's rate-limit blocks",
                "a sender's IP address, for its one-minute window",
                Treatment.EXPIRES,
                "forgotten when the window passes, and with the container (a few hours at most)",
                days=1,
            ),
        ),
    ),
)

BY_ID: dict[str, PersonalDataStore] = {store.logical_id: store for store in REGISTRY}
