"""One JSON Schema per domain event, from its pydantic model: ``docs/events/<Type>.v1.schema.json``.

``python -m leadrouter_local.event_schemas`` (``make event-schemas``) writes them; ``--check`` fails if the
committed files differ from what the models say (tests/unit/test_event_schemas.py does the same).

The schemas describe the ``detail`` of an event on the bus as the code serialises it: every field is
always present (``null`` when it does not apply), timestamps are fixed-width UTC text. They leave
``additionalProperties`` open on purpose: a field added within a version is not a breaking change,
so receivers must ignore fields they do not know (docs/events.md, versioning).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from leadrouter.domain.events import EVENT_MODELS, SCHEMA_VERSION, EventType

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "docs" / "events"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: What leadrouter writes for every timestamp (leadrouter.clock.to_iso): microseconds, always UTC.
MOMENT = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$",
}

WHEN = {
    EventType.LEAD_RECEIVED: "A new lead was stored (form, CRM, import): the leads table got its item.",
    EventType.LEAD_ASSIGNED: "A rule's rotation (or an admin, manual = true) gave the lead to staff_id.",
    EventType.LEAD_RECLAIMED: "Nobody cared for the lead in time: taken from previous_owner, "
    "given to staff_id.",
    EventType.LEAD_ESCALATED: "No rule can give the lead to anyone, or it was reclaimed too often: "
    "a person must act.",
    EventType.LEAD_RELEASED: "The lead went back to the queue (its owner was deactivated, "
    "it was restored, ...).",
    EventType.CONSENT_WITHDRAWN: "The person no longer consents to purpose (withdrawn, or a refusal a "
    "staff member recorded): stop pursuing that purpose now.",
}

FIELDS = {
    "schema_version": "Major version of this event's schema; a breaking change bumps it.",
    "type": "The event type; also the EventBridge detail-type.",
    "event_id": "Stable id, <lead_id>-<n>: n = 0 for the arrival, i + 1 for the lead's i-th decision "
    "(ConsentWithdrawn: <lead_id>-c<12 hex> of its purpose and time). The same change delivered twice "
    "has the same id: dedupe on it.",
    "tenant_id": "The tenant (company) the lead belongs to.",
    "lead_id": "The lead (GET /leads/{lead_id}).",
    "occurred_at": "When it happened (the decision's time; the arrival's for LeadReceived; the answer's "
    "for ConsentWithdrawn).",
    "received_at": "When the lead arrived.",
    "seconds_since_received": "occurred_at - received_at in seconds (speed to lead, for LeadAssigned).",
    "pool": "The lead's pool (a label, e.g. web).",
    "step": "The lead's step in its pipeline (a label, e.g. new).",
    "campaign": "The campaign the lead belongs to, if any.",
    "source": "The form source the lead came in through, if any.",
    "duplicate_of": "The live lead with the same phone or email, when the pool rotates duplicates.",
    "staff_id": "Who holds the lead now.",
    "previous_owner": "Who held it before, if anyone.",
    "rule_id": "The rule that decided, if a rule did.",
    "rule_version": "That rule's version (rev) when it decided.",
    "manual": "True when an admin or team lead chose the assignee (by says who).",
    "by": "Who acted, for manual actions: a staff id or an opaque user id, never a name or email.",
    "reclaim_count": "How many times this lead has been reclaimed, this one included.",
    "call_allowed": "Whether the new owner may make an advertising call now (Decree 91/2020: consent, "
    "Do-Not-Call lists, one call per 24 h, calling hours). A dialer calls only on true; false or absent: "
    "follow up without calling.",
    "call_reason": "Why no call, as a short code: restricted, no_call_consent, no_phone, do_not_call, "
    "national_do_not_call, called_within_24h, outside_calling_hours, call_check_failed.",
    "call_allowed_from": "When a call becomes allowed, if only time stands in the way (24 h since the "
    "last advertising call, the calling hours on the customer's clock).",
    "reason": "Why, as a short code: for escalations e.g. no_rule, window_closed, no_eligible_staff, "
    "reclaim_limit; for releases e.g. restored, or the owner's deactivation.",
    "purpose": "The purpose consent was taken from (the tenant's key, e.g. call, email_marketing).",
    "method": "How the answer came: withdrawal (the person took it back), staff (a refusal recorded by "
    "a staff member), checkbox, api or platform (a later submission left it refused).",
}


def schema(kind: EventType) -> dict[str, Any]:
    model = EVENT_MODELS[kind]
    generated = model.model_json_schema(mode="serialization")
    properties: dict[str, Any] = {}
    for name, prop in generated["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if name in ("occurred_at", "received_at"):
            prop = dict(MOMENT)
        if name not in FIELDS:
            raise KeyError(f"{kind}.{name}: describe the field in FIELDS")
        properties[name] = {"description": FIELDS[name], **prop}
    return {
        "$schema": DRAFT,
        "$id": f"{kind}.v{SCHEMA_VERSION}.schema.json",
        "title": f"{kind} (v{SCHEMA_VERSION})",
        "description": f"{WHEN[kind]} The detail of an EventBridge event with source leadrouter and "
        f"detail-type {kind}. No name, phone, email or form field of the lead is ever in it.",
        "type": "object",
        "properties": properties,
        "required": list(properties),  # the code writes every field, null when it does not apply
    }


def path(kind: EventType) -> Path:
    return SCHEMA_DIR / f"{kind}.v{SCHEMA_VERSION}.schema.json"


def text(kind: EventType) -> str:
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if a committed schema is stale")
    args = parser.parse_args(argv)
    stale = []
    for kind in EventType:
        target = path(kind)
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text(kind):
                stale.append(target.relative_to(ROOT))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text(kind), encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(map(str, stale))} (run make event-schemas)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
