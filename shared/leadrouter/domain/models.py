"""The domain's nouns: tenants, staff, rules and leads (pydantic v2).

Validation errors carry the field's location (``staff.1.weight``, ``window.end``), so an admin who
writes a bad rule is told exactly which field to fix. Models are storage-agnostic: the data-access
layer adds index attributes and maps them to and from DynamoDB items.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from importlib.resources import files
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leadrouter.domain.alerts import EscalationAlerts
from leadrouter.domain.attribution import Attribution
from leadrouter.domain.base import IsoDate as IsoDate
from leadrouter.domain.base import LocalTime as LocalTime
from leadrouter.domain.base import Moment as Moment
from leadrouter.domain.base import _Model as _Model
from leadrouter.domain.forms import FormDoor
from leadrouter.domain.rotation import normalise_weights
from leadrouter.domain.text import LABEL_PATTERN, TEXT_PATTERN, accepted_text, check_label, check_text

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
#: A rule's rotation cycle has W = Σ(weights / gcd) slots; beyond this, building and storing it costs too
#: much (and no sales team needs finer shares than 1 in 5,000).
MAX_CYCLE_SLOTS = 5000
#: Bounds on admin-set numbers: every one fits a DynamoDB number (38 digits) with room to spare.
MAX_CAP = 100_000
MAX_PRIORITY = 1_000_000

#: A person's or rule's name: any script, NFC, no control or bidi-override characters, something visible.
Name = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(check_text),
    accepted_text(TEXT_PATTERN, 200),
]
#: What admins call data pools, pipeline steps and campaigns ("Kho dữ liệu", "Bước", "Chiến dịch"):
#: Vietnamese with spaces is fine ("Tết 2027"); '#', '/', '\\' and '%' are not (they delimit keys and
#: paths), nor are control, bidi or zero-width characters. Compared after NFC normalisation.
Label = Annotated[
    str,
    Field(min_length=1, max_length=64),
    AfterValidator(check_label),
    accepted_text(LABEL_PATTERN, 64),
]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class RuleKind(StrEnum):
    """The seed's three kinds: "Chia cơ hội xoay vòng", "… theo tỷ trọng", "Thu hồi cơ hội"."""

    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    RECLAIM = "reclaim"


class LeadStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    DELETED = "deleted"


#: The labels the seed users know (CRMOnline "Tình trạng chăm sóc").
STATUS_LABELS_VI: dict[LeadStatus, str] = {
    LeadStatus.PENDING: "Lead gán tự động",
    LeadStatus.ASSIGNED: "Lead đã được gán",
    LeadStatus.ESCALATED: "Cần xử lý thủ công",
    LeadStatus.DELETED: "Đã xóa",
}


def scope_key(*, pool: str | None, step: str | None, campaign: str | None) -> str:
    """The one rule scope a lead (or rule) belongs to.

    Campaign membership wins over data pool + pipeline step (CRMOnline's campaign split is an explicit
    admin action, so it overrides the pool's standing rule); a lead therefore sits in exactly one
    "due" partition and no two rules race for it.
    """
    if campaign:
        return f"campaign#{campaign}"
    if pool and step:
        return f"pool#{pool}#step#{step}"
    raise ValueError("a scope needs a campaign, or both a data pool and a pipeline step")


class Scope(_Model):
    """Which leads a rule covers: a data pool + pipeline step ("Kho dữ liệu" + "Bước"), or a campaign."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["campaign"],
                    "properties": {
                        "campaign": {"type": "string"},
                        "pool": {"type": "null"},
                        "step": {"type": "null"},
                    },
                },
                {
                    "required": ["pool", "step"],
                    "properties": {
                        "pool": {"type": "string"},
                        "step": {"type": "string"},
                        "campaign": {"type": "null"},
                    },
                },
            ]
        },
    )

    pool: Label | None = None
    step: Label | None = None
    campaign: Label | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.campaign and (self.pool or self.step):
            raise ValueError("give either a campaign or a data pool + pipeline step, not both")
        if not self.campaign and not (self.pool and self.step):
            raise ValueError("give a campaign, or both a data pool (pool) and a pipeline step (step)")
        return self

    @property
    def key(self) -> str:
        return scope_key(pool=self.pool, step=self.step, campaign=self.campaign)


class Holiday(_Model):
    day: IsoDate
    name: Name


class HolidayCalendar(_Model):
    """Public holidays: days off for every member who has shifts (each on their own local date).

    ``country`` takes a country's official holidays from the ``holidays`` library (Vietnam's by default,
    Tết included); ``added`` and ``removed`` adjust it, for the days a decree moves or a company adds.
    """

    country: Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Z]{2,3}$")] | None = "VN"
    added: list[Holiday] = Field(default_factory=list, max_length=200)
    removed: list[IsoDate] = Field(default_factory=list, max_length=200)

    @field_validator("country")
    @classmethod
    def _supported(cls, value: str | None) -> str | None:
        from leadrouter.domain.holidays import check_country

        return None if value is None else check_country(value)


class Tenant(_Model):
    tenant_id: Ident
    name: Name
    time_zone: str = DEFAULT_TIME_ZONE
    #: A pending lead that no rule is in charge of (no rule for its scope, window closed) is escalated
    #: after this long, with the reason, instead of waiting silently.
    escalate_after_minutes: StrictInt = Field(default=120, ge=1, le=30 * 24 * 60)
    holidays: HolidayCalendar = Field(default_factory=HolidayCalendar)
    #: Who is told when a lead is escalated (webhooks, e-mail).
    alerts: EscalationAlerts = Field(default_factory=EscalationAlerts)
    rev: int = 0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)


#: The IANA time zone names the spec lists (the tz database that rendered it, committed so that the spec
#: reads the same on every machine); any name the runtime's tz database knows is accepted.
TIME_ZONES: tuple[str, ...] = tuple(
    (files("leadrouter.domain") / "time_zones.txt").read_text("utf-8").split()
)


def check_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError that says what is expected."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Ho_Chi_Minh)") from exc
    return value


class WorkingHours(_Model):
    """One shift in the staff member's local time; days are ISO weekdays 1 (Monday) … 7 (Sunday)."""

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], min_length=1, max_length=7
    )
    start: LocalTime
    end: LocalTime

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start (split a night shift into two shifts)")
        return end


class Pause(_Model):
    """A stretch during which the member was paused (``end`` None: still paused)."""

    start: Moment
    end: Moment | None = None


#: Pauses kept on a staff member (oldest dropped first): enough for any reclaim clock still running.
MAX_PAUSES = 50


class StaffMember(_Model):
    tenant_id: Ident
    staff_id: Ident
    name: Name
    team: Ident | None = None
    active: bool = True
    paused: bool = False
    max_open_leads: Annotated[int, Field(ge=1, le=MAX_CAP)] | None = None
    max_leads_per_day: Annotated[int, Field(ge=1, le=MAX_CAP)] | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    #: Empty means "any time": most SMB teams answer leads whenever they come.
    working_hours: list[WorkingHours] = Field(default_factory=list, max_length=21)
    leave_dates: list[IsoDate] = Field(default_factory=list, max_length=400)
    #: Recorded when ``paused`` changes (never set directly): the owner's reclaim clock stops in them.
    pauses: list[Pause] = Field(default_factory=list, max_length=MAX_PAUSES)
    #: When the member was last deactivated: sweeps release leads a racing sweep still gave them.
    deactivated_at: Moment | None = None
    #: Bumped by every write; an update is conditioned on the revision it read (409 otherwise).
    rev: int = 0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)


class RuleStaff(_Model):
    staff_id: Ident
    weight: StrictInt = Field(default=1, ge=1, le=1000)


class ScheduleWindow(_Model):
    """When the rule runs: between start and end (open-ended if absent), every ``interval_minutes``.

    ``interval_minutes = 0`` is the seed's "gán liên tục" (continuous: every scheduler tick).
    """

    start: Moment | None = None
    end: Moment | None = None
    interval_minutes: StrictInt = Field(default=0, ge=0, le=24 * 60)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError("end must be after start")
        return end

    def is_open(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


def escalate_after_field() -> Any:
    """The working-time options of a rule, shared by ``Rule`` and the API's request models."""
    return Field(
        default=120,
        ge=1,
        le=30 * 24 * 60,
        description="minutes of the team's working time a due lead may wait for someone on shift and "
        "under their cap before it is escalated (pauses and caps do not stop this clock)",
    )


def backlog_hold_field() -> Any:
    return Field(
        default=30,
        ge=0,
        le=240,
        description="leads that gathered while the whole team was off wait, once the first shift "
        "starts, until every member whose shift starts within this many minutes is on; then the "
        "rotation shares them. 0: the first member on shift takes them as they come",
    )


def absence_field() -> Any:
    return Field(
        default=True,
        description="whether the owner's leave days and pauses stop the reclaim clock (else only "
        "shifts and holidays do)",
    )


class Rule(_Model):
    """An admin's distribution rule. Editing it makes a new ``version`` with a fresh cycle."""

    tenant_id: Ident
    rule_id: Ident
    name: Name
    kind: RuleKind
    scope: Scope
    delay_minutes: StrictInt = Field(default=0, ge=0, le=30 * 24 * 60)
    staff: list[RuleStaff] = Field(min_length=1, max_length=200)
    reclaim_after_minutes: StrictInt | None = Field(
        default=None, ge=1, le=365 * 24 * 60, validate_default=True
    )
    max_reclaims: StrictInt = Field(default=2, ge=0, le=100)
    escalate_after_minutes: StrictInt = escalate_after_field()
    backlog_hold_minutes: StrictInt = backlog_hold_field()
    absence_stops_reclaim_clock: bool = absence_field()
    active: bool = True
    priority: StrictInt = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    window: ScheduleWindow = Field(default_factory=ScheduleWindow)
    version: StrictInt = Field(default=1, ge=1)
    #: Bumped by every write (edit, enable, disable); writes are conditioned on the revision read.
    rev: int = 0
    #: Staff ids in rotation order, one per slot: built once per version (``domain.rules.new_rule``)
    #: and stored; loading a rule only checks it against the weights.
    cycle: tuple[str, ...] = Field(min_length=1, max_length=MAX_CYCLE_SLOTS)

    @field_validator("staff")
    @classmethod
    def _staff_fit_kind(cls, staff: list[RuleStaff], info: ValidationInfo) -> list[RuleStaff]:
        ids = [s.staff_id for s in staff]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"each staff member may appear once (repeated: {', '.join(repeated)})")
        if info.data.get("kind") is RuleKind.ROUND_ROBIN and any(s.weight != 1 for s in staff):
            raise ValueError("a round_robin rule gives everyone weight 1; use kind 'weighted' for weights")
        slots = sum(normalise_weights([s.weight for s in staff]))
        if slots > MAX_CYCLE_SLOTS:
            raise ValueError(
                f"these weights make a rotation cycle of {slots} slots (at most {MAX_CYCLE_SLOTS});"
                " use smaller weights (3:4:5 and 300:400:500 split leads the same way)"
            )
        return staff

    @field_validator("reclaim_after_minutes")
    @classmethod
    def _reclaim_fits_kind(cls, minutes: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind is RuleKind.RECLAIM and minutes is None:
            raise ValueError("a reclaim rule needs the idle time (minutes) after which leads are taken back")
        if kind is not None and kind is not RuleKind.RECLAIM and minutes is not None:
            raise ValueError("only a reclaim rule takes leads back; create a rule of kind 'reclaim'")
        return minutes

    @model_validator(mode="after")
    def _cycle_fits_weights(self, info: ValidationInfo) -> Self:
        """Check (never rebuild) the stored cycle: each member appears weight/gcd times, nobody else."""
        if info.context == {"cycle": "build"}:
            return self
        expected = dict(
            zip(
                (s.staff_id for s in self.staff),
                normalise_weights([s.weight for s in self.staff]),
                strict=True,
            )
        )
        counts: dict[str, int] = {}
        for staff_id in self.cycle:
            counts[staff_id] = counts.get(staff_id, 0) + 1
        if counts != expected:
            raise ValueError(
                "cycle does not match the weights; it is built from them (domain.rules.new_rule)"
            )
        return self

    @property
    def weights(self) -> dict[str, int]:
        return {s.staff_id: s.weight for s in self.staff}

    @property
    def action(self) -> Literal["assign", "reclaim"]:
        """Which sweep runs this rule: the assign Lambda or the reclaim Lambda."""
        return "reclaim" if self.kind is RuleKind.RECLAIM else "assign"


class SkipRecord(_Model):
    staff_id: str
    reason: str


DecisionAction = Literal["assigned", "reclaimed", "escalated", "manual", "released"]


class Decision(_Model):
    """Why a lead went where it went: written in the same conditional write as the change itself."""

    at: Moment
    action: DecisionAction
    rule_id: str | None = None
    rule_version: int | None = None
    slot: int | None = None
    staff_id: str | None = None
    previous_owner: str | None = None
    skipped: list[SkipRecord] = Field(default_factory=list)
    reason: str | None = None
    by: str | None = None


AttributeName = Annotated[
    str,
    Field(min_length=1, max_length=64),
    AfterValidator(check_label),
    accepted_text(LABEL_PATTERN, 64),
]
AttributeValue = Annotated[str, Field(max_length=1000)]
#: Free-form form fields kept on a lead (utm_source, "Sản phẩm quan tâm", …): bounded in count and size.
Attributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=30)]


class Lead(_Model):
    tenant_id: Ident
    lead_id: Ident
    name: Name
    phone: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    pool: Label
    step: Label
    campaign: Label | None = None
    source: str | None = None
    attributes: Attributes = Field(default_factory=dict)
    #: Where the lead came from (UTM tags, click ids, landing page): first touch kept, latest updated.
    attribution: Attribution | None = None
    status: LeadStatus = LeadStatus.PENDING
    owner: str | None = None
    assignees: list[str] = Field(default_factory=list)
    held_by: list[str] = Field(default_factory=list)
    received_at: Moment
    #: When the lead entered its current scope while pending; the rule's delay counts from here.
    queued_at: Moment
    assigned_at: Moment | None = None
    idle_since: Moment | None = None
    last_activity_at: Moment | None = None
    escalated_at: Moment | None = None
    deleted_at: Moment | None = None
    reclaim_count: int = 0
    #: Bumped by every write; API edits are conditioned on the revision they read.
    rev: int = 0
    duplicate_of: str | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    decisions: list[Decision] = Field(default_factory=list)
    #: Sweep writes on this lead that raised (not lost races); after a few it is quarantined (escalated).
    failed_attempts: int = 0
    last_failure: str | None = None
    #: Set only on read: stored fields that failed validation and were read as placeholders. Saving
    #: the lead (PATCH) writes valid values back; never stored itself.
    damaged_fields: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)

    @property
    def scope_key(self) -> str:
        return scope_key(pool=self.pool, step=self.step, campaign=self.campaign)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS_VI[self.status]


class LeadEvent(_Model):
    """One line of a lead's history ("Tab Hệ thống"): care activities and manual changes.

    Rotation decisions live on the lead itself (written with the change); these are everything else.
    """

    at: Moment
    kind: Literal[
        "note",
        "call",
        "step_change",
        "edited",
        "manual_assign",
        "deleted",
        "restored",
        "resubmitted",
        "campaign",
        "released",
    ]
    by: str | None = None
    text: str | None = None
    data: dict[str, str | int | None] = Field(default_factory=dict)


class FormSource(_Model):
    """A web form or CRM that posts leads into one data pool with a public (non-secret) form key."""

    tenant_id: Ident
    source_id: Ident
    name: Name
    pool: Label
    step: Label = "new"
    #: Other steps a form may ask for (its ``step`` field); any other step is refused, so a public form
    #: key can only route leads into scopes its admin chose.
    steps: list[Label] = Field(default_factory=list, max_length=20)
    #: Set by the admin (an ad campaign's form); a form cannot pick a campaign, or a rule, itself.
    campaign: Label | None = None
    #: Posts per calendar minute to this source from all its senders, counted across containers.
    rate_per_minute: StrictInt = Field(default=60, ge=1, le=6000)
    active: bool = True
    #: How its web form posts: field names, origins, thank-you page, honeypot, CAPTCHA, campaigns.
    web_form: FormDoor = Field(default_factory=FormDoor)
    #: SHA-256 of the source's secret (``domain.keys``): with it, a server is answered the lead's id and
    #: status; with the public key alone, only a receipt. None: no secret issued yet (rotate to get one).
    secret_hash: str | None = Field(default=None, repr=False, pattern=r"^[0-9a-f]{64}$")
    #: Bumped by every edit; an edit is conditioned on the revision it read.
    rev: int = 0


class PoolSettings(_Model):
    """Per data pool: what a lead whose phone or email is already known does."""

    tenant_id: Ident
    pool: Label
    #: "link": attach to the existing lead and its owner; "rotate": enter rotation anyway.
    on_duplicate: Literal["link", "rotate"] = "link"
    rev: int = 0


class Caller(_Model):
    """Who is acting, as established by authentication (never by the request body).

    Roles: ``admin`` (the whole tenant), ``team_lead`` (leads held by their team), ``staff`` (their own).
    """

    tenant_id: Ident
    role: Literal["admin", "team_lead", "staff"]
    staff_id: Ident | None = None
    team: Ident | None = None
    subject: str = ""

    @property
    def label(self) -> str:
        return self.staff_id or self.subject or self.role
