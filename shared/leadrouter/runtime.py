"""The composition root: every AWS client and store a container uses is built here, once, and reused by
warm invocations. Handlers and routes ask here and hand use cases what they need; nothing else in the
product calls ``boto3.client``.

Each client is created without an endpoint, so boto3 honours ``AWS_ENDPOINT_URL_<SERVICE>`` (the local
stack of ``make run`` and the tests). What a cache is keyed on is what tests point elsewhere (settings,
queue URL, bus name and endpoint), so a test with fresh tables or queues gets a fresh client.
"""

from __future__ import annotations

import os
import random
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from leadrouter.domain.errors import Unavailable
from leadrouter.settings import Settings

if TYPE_CHECKING:  # the stores are imported where they are built: a container loads only those it uses
    from leadrouter.data.bus import EventBus
    from leadrouter.data.export_queue import ExportQueue
    from leadrouter.data.fetch_queue import FetchQueue
    from leadrouter.data.files import S3Files
    from leadrouter.data.identity import CognitoUsers
    from leadrouter.data.import_queue import ImportQueue
    from leadrouter.data.mail import SesMailer
    from leadrouter.data.overflow_queue import IntakeOverflowQueue
    from leadrouter.data.platform_http import PlatformApis
    from leadrouter.data.repository import Repository
    from leadrouter.data.sweep_queue import SweepQueue
    from leadrouter.data.webhook_queue import DeliveryQueue
    from leadrouter.domain.files import ListedFiles
    from leadrouter.domain.secrets import SecretBox
    from leadrouter.logic.intake.limits import DoorLimits

#: A sweep writes from 16 threads; standard retries ride out throttling.
DYNAMODB = Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=16)
#: The public door's intake calls: a throttled write goes to IntakeOverflowQueue at once (the queue is
#: its retry) instead of five retries that back off for up to half a minute while the visitor waits
#: (API Gateway gives up at 29 s) and hit the same hot partition again.
DOOR_DYNAMODB = Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=16)
#: The overflow's drain: one quick retry, then the message comes back a few seconds later (its
#: visibility set by the drain), rather than backing off inside a short function while the partition
#: is still hot.
DRAIN_DYNAMODB = Config(retries={"mode": "standard", "total_max_attempts": 2}, max_pool_connections=4)
EVENTS = Config(retries={"mode": "standard", "max_attempts": 3})
#: A request waits on KMS: short timeouts, a few retries.
KMS = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=3)
#: The presigned POST and URLs must be SigV4 (S3's only signature in newer regions) and name the bucket
#: on its regional host (bucket.s3.<region>.amazonaws.com: the global host answers a new bucket with a
#: redirect a browser's CORS upload cannot follow). A custom endpoint (the local stack) takes path style.
S3_ON_AWS = Config(signature_version="s3v4", s3={"addressing_style": "virtual"}, retries={"mode": "standard"})
S3_LOCAL = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"mode": "standard"})


def _endpoint(service: str) -> str | None:
    return os.environ.get(f"AWS_ENDPOINT_URL_{service}") or os.environ.get("AWS_ENDPOINT_URL")


# ------------------------------------------------------------------ DynamoDB
def dynamodb_client() -> Any:
    """A new DynamoDB client with the stores' retries and pool."""
    return boto3.client("dynamodb", config=DYNAMODB)


def new_repository(settings: Settings | None = None) -> Repository:
    """A repository on a client of its own, as a fresh container has (tests, benches, one-off tools)."""
    from leadrouter.data.repository import Repository

    return Repository(settings or Settings.from_env(), dynamodb_client(), secret_box=secret_box)


@cache
def _repository(settings: Settings) -> Repository:
    return new_repository(settings)


def repository() -> Repository:
    """Keyed on the settings, so tests that point the env at fresh tables get a fresh client."""
    return _repository(Settings.from_env())


def hosting_region() -> str:
    """The AWS region the stack runs in (Lambda sets ``AWS_REGION``): where every store's data lives."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "unknown"


@cache
def _door_repository(settings: Settings) -> Repository:
    from leadrouter.data.repository import Repository

    return Repository(settings, boto3.client("dynamodb", config=DOOR_DYNAMODB), secret_box=secret_box)


def door_repository() -> Repository:
    """The intake door's store: quick to give up on a throttled write when the overflow queue can take
    the submission instead (``DOOR_DYNAMODB``); the usual one without a queue."""
    if intake_overflow() is None:
        return repository()
    return _door_repository(Settings.from_env())


@cache
def _drain_repository(settings: Settings) -> Repository:
    from leadrouter.data.repository import Repository

    return Repository(settings, boto3.client("dynamodb", config=DRAIN_DYNAMODB), secret_box=secret_box)


def drain_repository() -> Repository:
    """The overflow drain's store (``DRAIN_DYNAMODB``)."""
    return _drain_repository(Settings.from_env())


@cache
def _door_limits(repository: Repository) -> DoorLimits:
    from leadrouter.logic.intake.limits import DoorLimits

    return DoorLimits(repository)


def door_limits() -> DoorLimits:
    """The public door's limits: this container's memory in front of the shared counts (one per
    repository, so a fresh client, as in a new container, comes with fresh memory)."""
    return _door_limits(repository())


# ------------------------------------------------------------------ KMS
@cache
def _secret_box(key_id: str, local_key_file: str) -> SecretBox:
    from leadrouter.data.secrets import KmsSecretBox, LocalSecretBox
    from leadrouter.domain.secrets import NO_SECRETS

    if key_id:
        return KmsSecretBox(key_id, boto3.client("kms", config=KMS))
    if local_key_file:
        return LocalSecretBox.from_file(Path(local_key_file))
    return NO_SECRETS


def secret_box() -> SecretBox:
    """KMS where the template gives the function the key (SECRETS_KEY_ID); the local key file of
    ``make run`` and tests otherwise; a function given neither can seal and open nothing."""
    settings = Settings.from_env()
    return _secret_box(settings.secrets_key_id, settings.local_secrets_key_file)


# ------------------------------------------------------------------ Cognito
@cache
def _identity(user_pool_id: str) -> CognitoUsers:
    from leadrouter.data.identity import CognitoUsers

    return CognitoUsers(boto3.client("cognito-idp"), user_pool_id)


def identity() -> CognitoUsers:
    """The tenants' users in the stack's user pool (``USER_POOL_ID``); a 503 naming what is missing when
    the process has no pool."""
    user_pool_id = Settings.from_env().user_pool_id
    if not user_pool_id:
        raise Unavailable("user management is not configured here (no USER_POOL_ID)", retry_after=60)
    return _identity(user_pool_id)


# ------------------------------------------------------------------ SQS
@cache
def sweep_queue(url: str) -> SweepQueue:
    """DispatchQueue, AssignQueue or ReclaimQueue: one client per queue URL (a tick sends its orders
    from SEND_THREADS threads, one connection each)."""
    from leadrouter.data.sweep_queue import SEND_THREADS, SweepQueue

    config = Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=SEND_THREADS)
    return SweepQueue(url, boto3.client("sqs", config=config))


@cache
def _delivery_queue(url: str, dead_letter_url: str) -> DeliveryQueue:
    from leadrouter.data.webhook_queue import DeliveryQueue

    return DeliveryQueue(url, boto3.client("sqs"), dead_letter_url)


def delivery_queue() -> DeliveryQueue:
    """WebhookDeliveryQueue (``WEBHOOK_DELIVERY_QUEUE_URL``) and, where set (the delivery function),
    its dead-letter queue (``WEBHOOK_DEAD_LETTER_QUEUE_URL``)."""
    settings = Settings.from_env()
    return _delivery_queue(settings.webhook_delivery_queue_url, settings.webhook_dead_letter_queue_url)


@cache
def _fetch_queue(url: str) -> FetchQueue:
    from leadrouter.data.fetch_queue import FetchQueue

    return FetchQueue(url, boto3.client("sqs"))


def fetch_queue() -> FetchQueue:
    """LeadFetchQueue (``LEAD_FETCH_QUEUE_URL``): platform deliveries whose lead is to be fetched."""
    return _fetch_queue(Settings.from_env().lead_fetch_queue_url)


@cache
def _intake_overflow(url: str) -> IntakeOverflowQueue:
    from leadrouter.data.overflow_queue import IntakeOverflowQueue

    return IntakeOverflowQueue(url, boto3.client("sqs"))


def intake_overflow() -> IntakeOverflowQueue | None:
    """IntakeOverflowQueue (``INTAKE_OVERFLOW_QUEUE_URL``): screened submissions whose writes were
    throttled, for the drain; None without one (a throttled write is then a 503, retry)."""
    url = Settings.from_env().intake_overflow_queue_url
    return _intake_overflow(url) if url else None


@cache
def _export_queue(url: str) -> ExportQueue:
    from leadrouter.data.export_queue import ExportQueue

    return ExportQueue(url, boto3.client("sqs"))


def export_queue() -> ExportQueue:
    """ExportQueue (``EXPORT_QUEUE_URL``): requested lead exports, for the export worker."""
    return _export_queue(Settings.from_env().export_queue_url)


@cache
def _import_queue(url: str) -> ImportQueue:
    from leadrouter.data.import_queue import ImportQueue

    return ImportQueue(url, boto3.client("sqs"))


def import_queue() -> ImportQueue:
    """ImportQueue (``IMPORT_QUEUE_URL``): the stages and chunks of customer-list imports."""
    return _import_queue(Settings.from_env().import_queue_url)


@cache
def _platform_apis(meta_graph_url: str) -> PlatformApis:
    from leadrouter.data.platform_http import PlatformApis

    return PlatformApis({"meta": meta_graph_url})


def platform_apis() -> PlatformApis:
    """The ad platforms' APIs the fetch worker reads (Meta's Graph API at ``META_GRAPH_URL``)."""
    return _platform_apis(Settings.from_env().meta_graph_url)


# ------------------------------------------------------------------ S3
@cache
def _files(bucket: str, endpoint: str | None) -> S3Files:
    from leadrouter.data.files import S3Files

    return S3Files(boto3.client("s3", config=S3_LOCAL if endpoint else S3_ON_AWS), bucket)


def files() -> ListedFiles:
    """The tenants' uploaded lists and made exports in FilesBucket (``FILES_BUCKET``); a 503 naming what
    is missing when the process has no bucket."""
    bucket = Settings.from_env().files_bucket
    if not bucket:
        raise Unavailable("file import and export are not configured here (no FILES_BUCKET)", retry_after=60)
    return _files(bucket, _endpoint("S3"))


# ------------------------------------------------------------------ EventBridge
@cache
def _bus(name: str, endpoint: str | None) -> EventBus:
    from leadrouter.data.bus import EventBus

    return EventBus(name, boto3.client("events", config=EVENTS))


def event_bus() -> EventBus:
    """The bus domain events go to (``EVENT_BUS_NAME``)."""
    name = os.environ.get("EVENT_BUS_NAME")
    if not name:
        raise RuntimeError("missing environment variable EVENT_BUS_NAME (set by template.yaml)")
    return _bus(name, _endpoint("EVENTBRIDGE"))


# ------------------------------------------------------------------ SES
@cache
def _ses(endpoint: str | None) -> Any:
    return boto3.client("sesv2")


def mailer() -> SesMailer | None:
    """The escalation alerts' mailer from ``ALERT_SENDER``; None without a sender (template parameter
    AlertSenderEmail empty, as under ``make run``): then nothing is sent."""
    from leadrouter.data.mail import SesMailer

    sender = Settings.from_env().alert_sender
    return SesMailer(sender, _ses(_endpoint("SESV2"))) if sender else None


# ------------------------------------------------------------------ SnapStart
#: Every cache above that holds a client (and so its connections).
_CONNECTED = (
    _repository,
    _door_repository,
    _drain_repository,
    _intake_overflow,
    _door_limits,
    _secret_box,
    _identity,
    sweep_queue,
    _delivery_queue,
    _fetch_queue,
    _export_queue,
    _import_queue,
    _platform_apis,
    _files,
    _bus,
    _ses,
)


def renew_after_restore() -> None:
    """After a SnapStart restore: forget every client built before the snapshot, and the default
    session's credentials, so each is built again on first use with fresh connections and the
    restored container's credentials; and reseed ``random``, which every copy of one snapshot would
    otherwise continue identically (ids and keys use ``secrets``, read from the OS at each call)."""
    for built in _CONNECTED:
        built.cache_clear()
    boto3.DEFAULT_SESSION = None
    random.seed()
