"""Moving leads into a campaign in one request (a mass update), for the campaign's rule to split; the
leads it moved are one ``change`` entry of the access audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from leadrouter.domain.audit import AuditAction
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.leads import Decision, LeadEvent, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.reading import ReadPorts, get_lead
from leadrouter.logic.ports import LeadChanges
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.logic.validation import changed


class CampaignPorts(ReadPorts, LeadChanges, AuditPorts, Protocol):
    """Visible leads, their saves, and the access audit."""


MAX_BATCH = 500


#: The reason written on each held lead a mass update moved into a campaign (its rule splits it anew).
MOVED = "moved_to_campaign"


def put_in_campaign(
    repo: CampaignPorts,
    caller: Caller,
    campaign: str,
    lead_ids: Sequence[str],
    now: datetime,
    *,
    request_id: str | None = None,
) -> dict[str, Any]:
    """CRMOnline's mass update: the leads join the campaign as "Lead gán tự động" for its rule to split.

    Each lead is its own conditional write, so one that changed meanwhile is reported, not clobbered.
    A lead someone held is released in that same write (a "released" decision naming the former
    owner), so its history says why the owner lost it.
    """
    if caller.role == "staff":
        raise NotAllowed("staff cannot run a mass update")
    if len(lead_ids) > MAX_BATCH:
        raise InvalidInput("too many leads", {"lead_ids": f"at most {MAX_BATCH} per request"})
    updated: list[str] = []
    skipped: list[dict[str, str]] = []
    for lead_id in dict.fromkeys(lead_ids):
        try:
            lead = get_lead(repo, caller, lead_id)
            decisions = list(lead.decisions)
            if lead.owner:
                release = Decision(
                    at=now, action="released", previous_owner=lead.owner, reason=MOVED, by=caller.label
                )
                decisions.append(release)
            after = changed(
                lead,
                campaign=campaign,
                status=LeadStatus.PENDING,
                owner=None,
                assignees=[],
                queued_at=now,
                decisions=decisions,
            )
            data: dict[str, str | int | None] = {"campaign": campaign, "from_owner": lead.owner}
            event = LeadEvent(at=now, kind="campaign", by=caller.label, data=data)
            repo.save_lead(lead, after, event)
            updated.append(lead_id)
        except (NotFound, Conflict) as error:
            skipped.append({"lead_id": lead_id, "reason": str(error)})
    if updated:
        record_access(repo, caller, AuditAction.CHANGE, updated, now, request_id=request_id, ref=campaign)
    return {"campaign": campaign, "updated": len(updated), "lead_ids": updated, "skipped": skipped}
