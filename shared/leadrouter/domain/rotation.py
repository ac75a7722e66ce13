"""Weighted rotation: the fairest possible cycle, and picking a staff member for a claimed slot.

Why a precomputed cycle: a rule claims a block of consecutive slots from one atomic counter (one write
per block), and slot ``s`` maps to cycle position ``s mod W``. Any replica can then compute the same
assignee from the slot number alone, with no shared "current weight" state to race on (which is what
smooth weighted round-robin would need).

Why this cycle: among all orderings in which staff member ``i`` appears exactly ``w_i`` times in
``W = sum(w)`` positions, it minimises the worst prefix deviation
``max_t max_i |count_i(t) - t * w_i / W|`` (bottleneck product rate variation, Steiner & Yeomans 1993),
so at every moment everyone is as close to their fair share as any ordering allows. The optimum is
always below Tijdeman's bound ``1 - 1/(2(k-1))``, so nobody is ever a whole lead ahead or behind.

Pure: standard library only, integer/``Fraction`` arithmetic only (no float rounding in a fairness
guarantee).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "REASON_CAP_REACHED",
    "Pick",
    "Skip",
    "allocate_block",
    "build_cycle",
    "max_prefix_deviation",
    "normalise_weights",
    "optimal_deviation",
    "pick_for_slot",
]

REASON_CAP_REACHED = "cap_reached"
"""Skip reason for a staff member whose remaining capacity ran out during a block."""


def normalise_weights(weights: Sequence[int]) -> tuple[int, ...]:
    """Validate weights and divide them by their gcd.

    Why: 6:8:10 and 3:4:5 describe the same shares; the reduced form gives the shortest cycle (and the
    same one for both), so equal configurations always rotate identically. Bools and floats are refused
    rather than coerced, because a silently truncated weight is an unfair rotation nobody asked for.
    """
    if len(weights) == 0:
        raise ValueError("weights must not be empty: a rotation needs at least one staff member")
    for index, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ValueError(f"weight #{index} must be an int, got {type(weight).__name__} {weight!r}")
        if weight < 1:
            raise ValueError(f"weight #{index} must be >= 1, got {weight}")
    divisor = math.gcd(*weights)
    return tuple(weight // divisor for weight in weights)


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _edf_sequence(weights: tuple[int, ...], total: int, m: int) -> tuple[int, ...] | None:
    """Return a cycle whose worst prefix deviation is at most ``m / total``, or None if none exists.

    Why it is exact: the bound holds iff copy ``j`` of staff ``i`` sits at a position ``t`` with
    ``j*W - t*w_i <= m`` (not too early to be owed) and ``(t-1)*w_i - (j-1)*W <= m`` (not so late that
    they fell behind), i.e. inside ``[E, L]``. Placing unit jobs with integer release times and deadlines
    earliest-deadline-first is optimal on one machine, so EDF failing proves infeasibility.
    """
    jobs: list[tuple[int, int, int, int]] = []  # (earliest, latest, staff, copy)
    for staff, weight in enumerate(weights):
        for copy in range(1, weight + 1):
            earliest = max(1, _ceil_div(copy * total - m, weight))
            latest = min(total, ((copy - 1) * total + m) // weight + 1)
            jobs.append((earliest, latest, staff, copy))
    jobs.sort()

    ready: list[tuple[int, int, int]] = []  # heap of (latest, staff, copy)
    sequence: list[int] = []
    next_job = 0
    for position in range(1, total + 1):
        while next_job < len(jobs) and jobs[next_job][0] <= position:
            _, latest, staff, copy = jobs[next_job]
            heapq.heappush(ready, (latest, staff, copy))
            next_job += 1
        if not ready:
            return None  # a position nobody may take yet: W copies cannot fill W positions
        latest, staff, _copy = heapq.heappop(ready)
        if latest < position:
            return None  # the most urgent copy already missed its window
        sequence.append(staff)
    return tuple(sequence)


def _optimal(weights: Sequence[int]) -> tuple[tuple[int, ...], int, int]:
    """Binary-search the smallest feasible ``m``; return (cycle, m, W) for the normalised weights."""
    normalised = normalise_weights(weights)
    total = sum(normalised)
    # Whoever takes position 1 is already (W - w_i)/W ahead, so m >= W - max(w): a free lower bound.
    low, high = total - max(normalised), total
    best = _edf_sequence(normalised, total, high)
    if best is None:  # pragma: no cover - Tijdeman (1980) guarantees a deviation below 1
        raise AssertionError(f"no cycle within deviation 1 for weights {normalised}")
    while low < high:  # invariant: `best` is a cycle within `high`, and nothing within `low - 1` exists
        middle = (low + high) // 2
        candidate = _edf_sequence(normalised, total, middle)
        if candidate is None:
            low = middle + 1
        else:
            high, best = middle, candidate
    return best, high, total


def build_cycle(weights: Sequence[int]) -> tuple[int, ...]:
    """Return the rotation cycle: staff indices, ``w_i`` copies of ``i``, with the smallest worst deviation.

    The length is W = sum of the gcd-normalised weights. All deviations are multiples of 1/W, so a
    binary search over the integer numerator finds the exact optimum; ties are broken by deadline, then
    staff index, so the result is deterministic (equal weights give plain round-robin 0, 1, ..., k-1).
    """
    cycle, _m, _total = _optimal(weights)
    return cycle


def optimal_deviation(weights: Sequence[int]) -> Fraction:
    """Return the worst prefix deviation of ``build_cycle(weights)``, which is the smallest possible."""
    _cycle, m, total = _optimal(weights)
    return Fraction(m, total)


def max_prefix_deviation(cycle: Sequence[int], weights: Sequence[int]) -> Fraction:
    """Return ``max over t in 1..len(cycle) and i of |count_i(t) - t*w_i/W|`` exactly.

    Why exact: the fairness guarantee is compared with bounds such as 1/2 for two staff, where float
    rounding could flip the verdict. Works for any sequence (e.g. two cycles back to back).
    """
    normalised = normalise_weights(weights)
    total = sum(normalised)
    counts = [0] * len(normalised)
    worst = 0  # in units of 1/W
    for t, staff in enumerate(cycle, start=1):
        if not 0 <= staff < len(normalised):
            raise ValueError(
                f"cycle entry {staff!r} at position {t} is not a staff index 0..{len(counts) - 1}"
            )
        counts[staff] += 1
        for index, weight in enumerate(normalised):
            worst = max(worst, abs(counts[index] * total - t * weight))
    return Fraction(worst, total)


@dataclass(frozen=True, slots=True)
class Skip:
    """A staff member passed over for a slot, and why (recorded in the decision for auditability)."""

    staff_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Pick:
    """Who gets the lead for ``slot``; ``staff_id`` None means nobody was eligible (escalate the lead)."""

    slot: int
    staff_id: str | None
    skipped: tuple[Skip, ...]


def pick_for_slot(
    cycle: Sequence[str],
    slot: int,
    unavailable: Mapping[str, str],
    excluded: Mapping[str, str] | None = None,
) -> Pick:
    """Pick the first eligible staff member at or after cycle position ``slot mod W``.

    Ineligible entries (``unavailable``: staff id -> reason such as "paused" or "off_shift";
    ``excluded``: per-lead reasons such as "held_before") are passed over, each distinct staff member
    recorded once in the order met, with the ``unavailable`` reason winning if both apply.

    Why the next slot is unaffected: slot ``s + 1`` always starts at ``(s + 1) mod W``, so a change in
    who is eligible never resets anyone's place in the rotation. The flip side is deliberate: there is
    no catch-up credit. A skipped staff member's turn goes to whoever follows them in the cycle, and
    they do not get extra leads when they come back.
    """
    size = len(cycle)
    if size == 0:
        raise ValueError("cycle must not be empty")
    if slot < 0:
        raise ValueError(f"slot must be >= 0, got {slot}")
    per_lead: Mapping[str, str] = excluded if excluded is not None else {}
    skipped: list[Skip] = []
    seen: set[str] = set()
    start = slot % size
    for offset in range(size):
        staff_id = cycle[(start + offset) % size]
        if staff_id in unavailable:
            reason: str | None = unavailable[staff_id]
        elif staff_id in per_lead:
            reason = per_lead[staff_id]
        else:
            reason = None
        if reason is None:
            return Pick(slot=slot, staff_id=staff_id, skipped=tuple(skipped))
        if staff_id not in seen:
            seen.add(staff_id)
            skipped.append(Skip(staff_id=staff_id, reason=reason))
    return Pick(slot=slot, staff_id=None, skipped=tuple(skipped))


def allocate_block(
    cycle: Sequence[str],
    first_slot: int,
    count: int,
    unavailable: Mapping[str, str],
    capacity: Mapping[str, int] | None = None,
    excluded: Sequence[Mapping[str, str]] | None = None,
) -> list[Pick]:
    """Pick for slots ``first_slot .. first_slot + count - 1`` in order (one claimed block).

    ``capacity`` maps staff id -> leads they may still take now (absent: unlimited; <= 0: none). Each
    pick uses one; whoever runs out is unavailable with ``REASON_CAP_REACHED`` for the rest of the block,
    so a block never overfills anyone even though its slots were claimed in one write. ``excluded[i]``
    is the per-lead exclusion map for the i-th lead. Inputs are not mutated (callers reuse them).
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if excluded is not None and len(excluded) != count:
        raise ValueError(f"excluded has {len(excluded)} entries but count is {count}")
    remaining = dict(capacity) if capacity is not None else {}
    blocked = dict(unavailable)
    for staff_id, left in remaining.items():
        if left <= 0 and staff_id not in blocked:
            blocked[staff_id] = REASON_CAP_REACHED
    picks: list[Pick] = []
    for index in range(count):
        pick = pick_for_slot(
            cycle, first_slot + index, blocked, excluded[index] if excluded is not None else None
        )
        picks.append(pick)
        chosen = pick.staff_id
        if chosen is not None and chosen in remaining:
            remaining[chosen] -= 1
            if remaining[chosen] <= 0:
                blocked[chosen] = REASON_CAP_REACHED
    return picks
