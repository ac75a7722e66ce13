"""Speed-to-lead: seconds from receipt to a lead's first assignment, summed up as a median and a p95.

The distribution report and the overview both measure it; the median is ``statistics.median`` and the
p95 the nearest rank (the smallest measured value with at least 95 % of the values at or below it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from pydantic import BaseModel, Field

from leadrouter.domain.imports import KEPT_OWNER_REASON
from leadrouter.domain.leads import Decision, Lead

ASSIGNING_ACTIONS = frozenset({"assigned", "manual"})


class Speed(BaseModel):
    leads: int = Field(description="how many leads were measured (those assigned at least once)")
    median_seconds: float | None
    p95_seconds: float | None = Field(description="nearest-rank 95th percentile")


def first_assignment(lead: Lead) -> Decision | None:
    """The lead's first assigned or manual decision; None if never assigned, or if an import kept it
    with its owner from another CRM (its receipt is the old CRM's: it never waited here)."""
    first = next((d for d in lead.decisions if d.action in ASSIGNING_ACTIONS), None)
    return None if first is None or first.reason == KEPT_OWNER_REASON else first


def speed_to_lead(lead: Lead) -> float | None:
    """Seconds from receipt to the lead's first assignment (``first_assignment``); None without one."""
    first = first_assignment(lead)
    return None if first is None else (first.at - lead.received_at).total_seconds()


def speed(seconds: Sequence[float]) -> Speed:
    """Median (``statistics.median``) and nearest-rank p95 of speed-to-lead samples, in seconds."""
    if not seconds:
        return Speed(leads=0, median_seconds=None, p95_seconds=None)
    ordered = sorted(seconds)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    return Speed(leads=len(ordered), median_seconds=float(statistics.median(ordered)), p95_seconds=p95)
