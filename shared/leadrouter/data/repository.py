"""The one data-access facade: every DynamoDB call of the service lives in ``leadrouter.data``.

Layout (tables come from template.yaml; local tables are created from the same file):

* leads table, key ``tenant_id`` + ``lead_id``. Two sparse GSIs carry exactly the leads a sweep needs,
  as keys: ``due_queue`` (``due_scope`` = tenant#scope, ``queued_at``) while pending, ``owner_idle``
  (``owner_key`` = tenant#staff, ``idle_since``) while assigned (``data.leads`` says why).
  Sweeps query those indexes, never Scan, so their cost follows the due leads, not the table.
* submissions table, key ``tenant_id`` + ``submission_id``: every request a form source's endpoint
  received, stored first (``data.submissions``).
* config table, key ``pk`` = ``TENANT#<id>`` + ``sk``: ``TENANT``, ``STAFF#<id>``, ``RULE#<id>``,
  ``CONTACT#<phone|email>``, ``COUNTER#<rule>#v<version>`` (the rotation's atomic slot counter) and
  ``LEASE#<rule>`` (one sweep per rule at a time; a reclaim rule's lease also says when anything can
  next be due). The sparse GSI ``active_rules`` lists active rules by action (assign / reclaim), each
  tenant under one of 16 shard keys (``domain.dispatch``), so a tick reads 16 partitions in parallel.
  ``WEBHOOK#<id>`` items are tenants' webhooks (``data.webhooks``). ``LIMIT#<scope>`` items count
  requests per rate-limit window (``data.limits``), deleted by TTL. ``EXPORT#<id>`` items record lead
  exports (``data.exports``). ``DNC#<digest>`` and ``CALLED#<digest>`` items are the Do-Not-Call
  lists and the advertising-call log, by phone digest (``data.calling``). ``PEPPER`` is the tenant's
  sealed contact pepper (``data.peppers``) and ``SUPPRESSED#<digest>`` its erasure suppression list
  (``data.erasure``). ``PRIVACYREQ#<id>`` items are data-subject requests, listed in
  ``active_rules`` under ``privacy#<shard>`` while open (``data.privacy_requests``).
  ``NOTICE#<purpose>#<version>`` items archive every version of the tenant's consent notices
  (``data.notices``). ``AUDIT#<seq>`` items and ``AUDITHEAD`` are the access audit's hash chain
  (``data.audit``), deleted by TTL.
* deliveries table: each webhook's delivery log (``data.webhooks``).

One module per aggregate (``leads`` reads and ``lead_changes`` writes, ``transitions``, ``contacts``,
``tenants``, ``staff``, ``rules``, ``sources``, ``source_health``, ``pools``, ``rotation``, and
``dispatch`` for the ticks' cheap questions). The stores share one client and are mixed into one
class, which serves every port of ``logic.ports``; a use case names only the ports it touches. Every
change of a lead's state is a conditional write on the state it was read in: a failed condition means
another writer got there first, and the caller skips the lead instead of retrying blindly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadrouter.data.audit import AuditStore
from leadrouter.data.calling import CallingStore
from leadrouter.data.consents import ConsentStore
from leadrouter.data.contacts import ContactStore
from leadrouter.data.dispatch import DispatchStore
from leadrouter.data.erasure import ErasureStore
from leadrouter.data.exports import ExportStore
from leadrouter.data.imports import ImportStore
from leadrouter.data.items import (
    Item,
    PageKey,
    from_item,
    lead_from_item,
    lead_item,
    owner_partition,
    scope_partition,
    to_item,
)
from leadrouter.data.lead_changes import LeadChangeStore
from leadrouter.data.leads import LeadStore
from leadrouter.data.limits import LimitStore
from leadrouter.data.notices import NoticeStore
from leadrouter.data.peppers import PepperStore
from leadrouter.data.pools import PoolStore
from leadrouter.data.privacy_requests import PrivacyRequestStore
from leadrouter.data.rotation import RotationStore
from leadrouter.data.rules import RuleStore
from leadrouter.data.scopes import ScopeStore
from leadrouter.data.source_health import SourceHealthStore
from leadrouter.data.sources import SourceStore
from leadrouter.data.staff import StaffStore
from leadrouter.data.submissions import SubmissionStore
from leadrouter.data.tenants import TenantStore
from leadrouter.data.transitions import TransitionStore
from leadrouter.data.webhooks import WebhookStore
from leadrouter.domain.secrets import SecretBox
from leadrouter.settings import Settings

__all__ = [
    "Item",
    "PageKey",
    "Repository",
    "from_item",
    "lead_from_item",
    "lead_item",
    "owner_partition",
    "scope_partition",
    "to_item",
]


class Repository(
    LeadStore,
    LeadChangeStore,
    TransitionStore,
    ContactStore,
    ScopeStore,
    DispatchStore,
    RotationStore,
    TenantStore,
    StaffStore,
    RuleStore,
    SourceStore,
    SourceHealthStore,
    PoolStore,
    SubmissionStore,
    WebhookStore,
    LimitStore,
    ExportStore,
    ImportStore,
    CallingStore,
    PepperStore,
    ErasureStore,
    PrivacyRequestStore,
    NoticeStore,
    ConsentStore,
    AuditStore,
):
    """Typed access to the leads, config and events tables. Thread-safe (it holds only a boto3 client)."""

    def __init__(
        self, settings: Settings, client: Any, secret_box: Callable[[], SecretBox] | None = None
    ) -> None:
        """``secret_box`` gives the box that opens the tenants' peppers, asked on first use only."""
        super().__init__(settings, client)
        if secret_box is not None:
            self._secret_box = secret_box
