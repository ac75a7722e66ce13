"""Administration use cases behind the API: rules, staff, form sources and data-pool settings.

Request models here carry only what an admin may set: the tenant always comes from the caller's
token, and a rule's ``version`` and rotation ``cycle`` are the server's. Every model is rebuilt with
the domain model (``Rule``, ``StaffMember``, …) before anything is written, and a validation failure
becomes ``InvalidInput`` naming each field (``staff.0.weight``, ``window.end``), so a bad request
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    TypeAdapter,
    ValidationError,
)

from leadrouter.data.repository import Repository
from leadrouter.domain.base import Ident, IsoDate, Label, Name, omissible
from leadrouter.domain.dispatch import RECHECK_WINDOW
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable
from leadrouter.domain.forms import (
    CampaignLabel,
    CaptchaAction,
    CaptchaProvider,
    FieldTarget,
    FormDoor,
    FormFieldName,
    FormSource,
    Host,
    HttpUrlText,
    Origin,
    UtmValue,
)
from leadrouter.domain.ids import new_id
from leadrouter.domain.keys import hash_form_key, hash_source_secret, new_form_key, new_source_secret
from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.rotation import normalise_weights
from leadrouter.domain.rules import (
    MAX_PRIORITY,
    Rule,
    RuleKind,
    RuleStaff,
    ScheduleWindow,
    absence_field,
    backlog_hold_field,
    draft_rule,
    escalate_after_field,
    rule_with,
    with_cycle,
)
from leadrouter.domain.scopes import Scope
from leadrouter.domain.secrets import SecretBox, SecretsUnavailable, captcha_secret_context, is_sealed
from leadrouter.domain.staff import MAX_CAP, MAX_PAUSES, Pause, StaffMember, WorkingHours
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE, TIME_ZONES, check_zone
from leadrouter.logic.leads.cases import DEACTIVATED, release_leads_of
from leadrouter.observability import logger

M = TypeVar("M", bound=BaseModel)

#: A rule item holds its whole cycle; DynamoDB items stop at 400 KB, so a cycle is kept well below.
MAX_CYCLE_BYTES = 300_000

_IDENT: TypeAdapter[str] = TypeAdapter(Ident)


# ------------------------------------------------------------------ helpers
def invalid(error: ValidationError, message: str) -> InvalidInput:
    """A pydantic error as InvalidInput: one entry per dotted field location, every message kept."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        fields[where] = f"{fields[where]}; {problem['msg']}" if where in fields else problem["msg"]
    return InvalidInput(message, fields)


def validated(model: type[M], data: dict[str, Any], message: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error, message) from error


def _known_id(value: str, what: str) -> str:
    """Ids from a path: one that could never have been created is simply not found (never a 5xx)."""
    try:
        return _IDENT.validate_python(value)
    except ValidationError as error:
        raise NotFound(f"{what} {value[:64]!r} not found") from error


# ------------------------------------------------------------------ rules
_NOT_RECLAIM: dict[str, JsonValue] = {"reclaim_after_minutes": {"type": "null"}}
#: Per kind: a reclaim rule needs its idle time, the others take none, and round-robin weights are all 1.
_KINDS: list[JsonValue] = [
    {
        "required": ["kind", "reclaim_after_minutes"],
        "properties": {"kind": {"const": "reclaim"}, "reclaim_after_minutes": {"type": "integer"}},
    },
    {"required": ["kind"], "properties": {"kind": {"const": "weighted"}, **_NOT_RECLAIM}},
    {
        "required": ["kind"],
        "properties": {
            "kind": {"const": "round_robin"},
            "staff": {"items": {"properties": {"weight": {"const": 1}}}},
            **_NOT_RECLAIM,
        },
    },
]


class RuleFields(BaseModel):
    """A rule as an admin writes it: everything except tenant_id (from the token), version and cycle.

    The constraints mirror ``Rule`` (a test keeps them in step); the cross-field checks (weights that fit
    the kind, reclaim time only on reclaim rules, repeated staff) run when the ``Rule`` is built. What a
    kind implies is stated in the spec too (``_KINDS``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"oneOf": _KINDS})

    name: Name
    kind: RuleKind
    scope: Scope
    delay_minutes: StrictInt = Field(default=0, ge=0, le=30 * 24 * 60)
    staff: list[RuleStaff] = Field(min_length=1, max_length=200)
    reclaim_after_minutes: StrictInt | None = Field(default=None, ge=1, le=365 * 24 * 60)
    max_reclaims: StrictInt = Field(default=2, ge=0, le=100)
    # The working-time options: the Rule's own fields (their descriptions say what they do).
    escalate_after_minutes: StrictInt = escalate_after_field()
    backlog_hold_minutes: StrictInt = backlog_hold_field()
    absence_stops_reclaim_clock: bool = absence_field()
    active: bool = True
    priority: StrictInt = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    window: ScheduleWindow = Field(default_factory=ScheduleWindow)


class RuleDraft(RuleFields):
    rule_id: Ident | None = Field(default=None, description="optional; generated (R…) when absent")


class RuleReplacement(RuleFields):
    expected_version: StrictInt | None = Field(
        default=None,
        ge=1,
        le=2**31,  # bounded like every request number (a rule gets nowhere near it)
        description="the version you edited: if the rule has moved on meanwhile the answer is 409",
    )


def build_rule(
    repo: Repository, tenant_id: str, rule_id: str, fields: RuleFields, version: int, **overrides: Any
) -> Rule:
    """The domain rule for a draft, or InvalidInput listing every bad field (including unknown staff).

    Cheap checks run first (types, bounds, Σweights, staff that exist); only a draft that passes them
    pays for building its rotation cycle.
    """
    data = fields.model_dump(include=set(RuleFields.model_fields), exclude_unset=True)
    data |= {"tenant_id": tenant_id, "rule_id": rule_id, "version": version, **overrides}
    problems: dict[str, str] = {}
    draft: Rule | None = None
    try:
        draft = draft_rule(data)
    except ValidationError as error:
        problems |= invalid(error, "").fields
    known = repo.get_staff(tenant_id, [s.staff_id for s in fields.staff])
    for index, entry in enumerate(fields.staff):
        if entry.staff_id not in known:
            problems[f"staff.{index}.staff_id"] = (
                f"unknown staff member {entry.staff_id!r}: create it with POST /staff first"
            )
    if draft is not None and not problems:
        size = sum(
            weight * (len(entry.staff_id.encode()) + 3)
            for weight, entry in zip(
                normalise_weights([s.weight for s in draft.staff]), draft.staff, strict=True
            )
        )
        if size > MAX_CYCLE_BYTES:
            problems["staff"] = (
                f"these weights make a rotation cycle of {size} bytes, too long to store;"
                " use smaller weights (3:4:5 and 300:400:500 split leads the same way)"
            )
    if problems or draft is None:
        raise InvalidInput("invalid rule", problems)
    return with_cycle(draft)


def create_rule(repo: Repository, caller: Caller, draft: RuleDraft) -> Rule:
    rule = build_rule(repo, caller.tenant_id, draft.rule_id or new_id("R"), draft, version=1)
    repo.create_rule(rule)  # Conflict (409) if the id is taken
    return rule


def get_rule(repo: Repository, caller: Caller, rule_id: str) -> Rule:
    rule = repo.get_rule(caller.tenant_id, _known_id(rule_id, "rule"))
    if rule is None:
        raise NotFound(f"rule {rule_id} not found")
    return rule


def list_rules(repo: Repository, caller: Caller) -> list[Rule]:
    return repo.list_rules(caller.tenant_id)


def replace_rule(repo: Repository, caller: Caller, rule_id: str, body: RuleReplacement) -> Rule:
    """Save the body as the next version: a fresh cycle whose rotation starts again at slot 0.

    Leads already assigned keep the version that assigned them. ``active`` keeps its current value
    unless the body sets it, so editing a disabled rule does not switch it on by accident.
    """
    current = get_rule(repo, caller, rule_id)
    if body.expected_version is not None and body.expected_version != current.version:
        raise Conflict(
            f"rule {rule_id} is at version {current.version}, not {body.expected_version}; reload it"
        )
    keep = {} if "active" in body.model_fields_set else {"active": current.active}
    rule = build_rule(repo, caller.tenant_id, current.rule_id, body, version=current.version + 1, **keep)
    return repo.save_rule(current, rule)  # Conflict (409) if anyone wrote the rule since we read it


def set_rule_active(repo: Repository, caller: Caller, rule_id: str, active: bool) -> Rule:
    """Enable or disable in place: no new version, so the rotation keeps its place in the cycle."""
    current = get_rule(repo, caller, rule_id)
    return repo.save_rule(current, rule_with(current, active=active))


def delete_rule(repo: Repository, caller: Caller, rule_id: str) -> None:
    repo.delete_rule(caller.tenant_id, _known_id(rule_id, "rule"))


# ------------------------------------------------------------------ staff
Cap = Annotated[int, Field(ge=1, le=MAX_CAP)]
TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, json_schema_extra={"enum": list(TIME_ZONES)}),
    AfterValidator(check_zone),
]
Shifts = Annotated[list[WorkingHours], Field(max_length=21)]
LeaveDates = Annotated[list[IsoDate], Field(max_length=400)]


class StaffFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    team: Ident | None = None
    active: bool = True
    paused: bool = False
    max_open_leads: Cap | None = None
    max_leads_per_day: Cap | None = None
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    working_hours: Shifts = Field(default_factory=list)
    leave_dates: LeaveDates = Field(default_factory=list)


class StaffCreate(StaffFields):
    staff_id: Ident | None = Field(
        default=None, description="optional (generated S… when absent); the id the staff's token carries"
    )


class StaffPatch(BaseModel):
    """Only the fields given change; ``null`` clears a cap or the team."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = omissible()
    team: Ident | None = None
    active: bool | None = omissible()
    paused: bool | None = omissible()
    max_open_leads: Cap | None = None
    max_leads_per_day: Cap | None = None
    time_zone: TimeZoneName | None = omissible()
    working_hours: Shifts | None = omissible()
    leave_dates: LeaveDates | None = omissible()
    expected_revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the member's `rev` as you read it: if it moved on meanwhile the answer is 409 and "
        "nothing is written (omit to apply the patch to whatever is stored)",
    )


#: Pauses that ended longer ago than this are dropped: no reclaim clock of a lead still open reaches back
#: that far in practice, and the staff item stays small.
PAUSE_HISTORY = timedelta(days=60)


def pause_history(member: StaffMember, paused: bool, now: datetime) -> list[Pause]:
    """The member's pauses after ``paused`` is set at ``now``: pausing opens one, unpausing closes it.

    The history is the logic's, never a client's: the owner's reclaim clock stops in these stretches
    (``absence_stops_reclaim_clock``). A member paused before pauses were recorded has no open pause to
    close; unpausing them records nothing. The oldest beyond ``MAX_PAUSES`` and those ended before
    ``PAUSE_HISTORY`` are dropped (an open pause is the newest, so it is always kept).
    """
    pauses = list(member.pauses)
    if paused and not member.paused:
        pauses.append(Pause(start=now))
    elif not paused and member.paused:
        pauses = [Pause(start=p.start, end=now) if p.end is None else p for p in pauses]
    kept = [p for p in pauses if p.end is None or p.end >= now - PAUSE_HISTORY]
    return kept[-MAX_PAUSES:]


def create_staff(repo: Repository, caller: Caller, body: StaffCreate, now: datetime) -> StaffMember:
    """A new member; one created paused has an open pause from ``now``."""
    staff_id = body.staff_id or new_id("S")
    data = body.model_dump(exclude={"staff_id"}) | {"tenant_id": caller.tenant_id, "staff_id": staff_id}
    data["pauses"] = [Pause(start=now).model_dump()] if body.paused else []
    member = validated(StaffMember, data, "invalid staff member")
    repo.put_staff(member, new=True)
    return member


def get_staff(repo: Repository, caller: Caller, staff_id: str) -> StaffMember:
    """Admins and team leads read any staff member of their tenant; staff read only themselves."""
    if caller.role == "staff" and caller.staff_id != staff_id:
        raise NotAllowed("staff may read only their own profile")
    member = repo.get_staff(caller.tenant_id, [_known_id(staff_id, "staff member")]).get(staff_id)
    if member is None:
        raise NotFound(f"staff member {staff_id} not found")
    return member


def list_staff(repo: Repository, caller: Caller) -> list[StaffMember]:
    if caller.role == "staff":
        raise NotAllowed("staff may read only their own profile")
    return repo.list_staff(caller.tenant_id)


def update_staff(
    repo: Repository, caller: Caller, staff_id: str, patch: StaffPatch, now: datetime
) -> tuple[StaffMember, int]:
    """Apply the patch; setting ``active: false`` puts the member's open leads back into rotation.

    The member is saved first (so no sweep gives them new leads), then each open lead goes back to
    pending with a "released" decision for the rule in charge of its scope to reassign on its next tick.
    Sending ``active: false`` again releases anything left over. Pausing releases nothing: a paused
    member keeps their leads (the reclaim rule takes back the ones nobody cares for) and simply gets
    no new ones; the pause is recorded in ``pauses`` (see ``pause_history``). Returns the saved member
    and how many leads were released.
    """
    current = get_staff(repo, caller, staff_id)
    if patch.expected_revision is not None and patch.expected_revision != current.rev:
        raise Conflict(f"staff member {staff_id} is at revision {current.rev}, not {patch.expected_revision}")
    changes = patch.model_dump(exclude_unset=True, exclude={"expected_revision"})
    if changes.get("active") is False and current.active:
        changes["deactivated_at"] = now  # sweeps that raced this change give back what they assigned
    if changes.get("paused") is not None and changes["paused"] != current.paused:
        changes["pauses"] = [p.model_dump() for p in pause_history(current, changes["paused"], now)]
    member = validated(StaffMember, current.model_dump() | changes, "invalid staff member")
    if member != current:
        member = repo.update_staff(current, member)  # Conflict (409) if it changed since we read it
        repo.ask_recheck(caller.tenant_id, now + RECHECK_WINDOW)  # shifts, pauses, leave, deactivation
    released = 0
    if "active" in changes and not member.active:
        released = release_leads_of(repo, caller.tenant_id, member.staff_id, DEACTIVATED, now)
    return member, released


# ------------------------------------------------------------------ sources, pools
class FormSourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    pool: Label
    step: Label = "new"
    steps: list[Label] = Field(default_factory=list, max_length=20, description="other steps a form may use")
    campaign: Label | None = Field(default=None, description="put every lead from this form into a campaign")
    rate_per_minute: StrictInt = Field(default=60, ge=1, le=6000)
    web_form: FormDoor = Field(default_factory=FormDoor, description="how its web form posts (all optional)")


class CaptchaEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider: CaptchaProvider
    site_key: Annotated[str, Field(min_length=1, max_length=256)]
    secret: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        default=None, description="write-only; omit to keep the stored secret"
    )
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    action: CaptchaAction | None = Field(default=None, description="the action the page declares; checked")
    hostnames: list[Host] = Field(
        default_factory=list,
        max_length=20,
        description="hosts the widget may be solved on; empty: those of allowed_origins",
    )


class FormDoorEdit(BaseModel):
    """The web-form settings to change (the others keep their values); ``captcha: null`` turns it off.

    Only ``thank_you_url`` and ``captcha`` may be null (cleared); the others are a 422 when null, so the
    spec does not offer null for them (``SkipJsonSchema``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field_map: Annotated[dict[FormFieldName, FieldTarget], Field(max_length=30)] | None = omissible()
    allowed_origins: Annotated[list[Origin], Field(max_length=20)] | None = omissible()
    thank_you_url: HttpUrlText | None = None
    redirect_hosts: Annotated[list[Host], Field(max_length=20)] | None = omissible()
    honeypot_field: FormFieldName | None = omissible()
    captcha: CaptchaEdit | None = None
    campaign_map: Annotated[dict[UtmValue, CampaignLabel], Field(max_length=50)] | None = omissible()
    rate_per_ip_per_minute: Annotated[StrictInt, Field(ge=1, le=6000)] | None = omissible()


class FormSourceEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rev: StrictInt = Field(ge=0, le=10**12, description="the revision you read (409 if it changed since)")
    name: Name | None = omissible()
    step: Label | None = omissible()
    steps: Annotated[list[Label], Field(max_length=20)] | None = omissible()
    campaign: Label | None = None
    rate_per_minute: Annotated[StrictInt, Field(ge=1, le=6000)] | None = omissible()
    active: bool | None = omissible()
    web_form: FormDoorEdit | None = None


class PoolSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_duplicate: Literal["link", "rotate"] = Field(
        description="a lead whose phone/email is known: 'link' to the existing lead and its owner, "
        "or 'rotate' (enter rotation anyway, marked duplicate_of)"
    )


@dataclass(frozen=True)
class IssuedSource:
    """A new source with its form key and its secret: the one time either is seen (only hashes are kept)."""

    source: FormSource
    form_key: str
    secret: str


def create_form_source(
    repo: Repository, caller: Caller, body: FormSourceCreate, *, secrets: SecretBox
) -> IssuedSource:
    """A new source, its public form key and its server secret; a CAPTCHA secret is sealed first."""
    secret = new_source_secret()
    data = {
        "tenant_id": caller.tenant_id,
        "source_id": new_id("F"),
        "secret_hash": hash_source_secret(secret),
        **body.model_dump(),
    }
    captcha = data["web_form"].get("captcha")
    if captcha is not None:
        captcha["secret"] = _seal(secrets, captcha["secret"], caller.tenant_id, data["source_id"])
    source = validated(FormSource, data, "invalid form source")
    key = new_form_key()
    repo.put_form_source(source, hash_form_key(key))
    return IssuedSource(source, key, secret)


def rotate_source_secret(repo: Repository, caller: Caller, source_id: str) -> tuple[FormSource, str]:
    """A new server secret for a source; the old one stops working at once (containers within
    ``SETTINGS_TTL``). Written at the revision read, like any edit."""
    current = repo.get_form_source(caller.tenant_id, source_id)
    if current is None:
        raise NotFound(f"form source {source_id} not found")
    secret = new_source_secret()
    after = current.model_copy(update={"secret_hash": hash_source_secret(secret)})
    return repo.save_form_source(current, after), secret


def edit_form_source(
    repo: Repository, caller: Caller, source_id: str, edit: FormSourceEdit, *, secrets: SecretBox
) -> FormSource:
    """Change what the edit sends; validated as a whole source, written at the revision read.

    A CAPTCHA secret sent is sealed; a kept one stored in clear (before secrets were sealed) is sealed
    now, so every save leaves the source's secret sealed."""
    current = repo.get_form_source(caller.tenant_id, source_id)
    if current is None:
        raise NotFound(f"form source {source_id} not found")
    if edit.rev != current.rev:
        raise Conflict(f"form source {source_id} changed since you read it (rev {current.rev}); reload it")
    data = current.model_dump()
    sent = edit.model_dump(exclude_unset=True, exclude={"rev", "web_form"})
    data.update(sent)
    if edit.web_form is not None:
        door = edit.web_form.model_dump(exclude_unset=True)
        if "captcha" in door and door["captcha"] is not None:
            sent = door["captcha"].get("secret")
            kept = current.web_form.captcha.secret if current.web_form.captcha else None
            if sent:
                door["captcha"]["secret"] = _seal(secrets, sent, caller.tenant_id, source_id)
            elif kept:
                door["captcha"]["secret"] = kept
            else:
                raise InvalidInput(
                    "invalid form source", {"web_form.captcha.secret": "give the provider's secret"}
                )
        data["web_form"] = {**data["web_form"], **door}
    captcha = data["web_form"].get("captcha")
    if captcha is not None and not is_sealed(captcha["secret"]):
        captcha["secret"] = _seal(secrets, captcha["secret"], caller.tenant_id, source_id)
    after = validated(FormSource, data, "invalid form source")
    return repo.save_form_source(current, after)


def _seal(secrets: SecretBox, plaintext: str, tenant_id: str, source_id: str) -> str:
    try:
        return secrets.seal(plaintext, captcha_secret_context(tenant_id, source_id))
    except SecretsUnavailable as error:
        logger.warning("captcha secret not sealed", extra={"error": str(error)})
        raise Unavailable("the form source could not be saved right now; try again") from error


def list_form_sources(repo: Repository, caller: Caller) -> list[FormSource]:
    return repo.list_form_sources(caller.tenant_id)


def _pool(caller: Caller, pool: str, on_duplicate: str = "link") -> PoolSettings:
    data = {"tenant_id": caller.tenant_id, "pool": pool, "on_duplicate": on_duplicate}
    return validated(PoolSettings, data, "invalid data pool")


def get_pool_settings(repo: Repository, caller: Caller, pool: str) -> PoolSettings:
    """The pool's settings (defaults when never set: duplicates link to the existing lead)."""
    return repo.get_pool_settings(caller.tenant_id, _pool(caller, pool).pool)


def put_pool_settings(repo: Repository, caller: Caller, pool: str, body: PoolSettingsIn) -> PoolSettings:
    current = get_pool_settings(repo, caller, pool)
    return repo.save_pool_settings(current, _pool(caller, pool, body.on_duplicate))
