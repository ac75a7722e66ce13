"""Reference algorithms the rotation is compared with (test and benchmark use only)."""

from __future__ import annotations

from collections.abc import Sequence


def smooth_wrr(weights: Sequence[int], n: int) -> list[int]:
    """nginx's smooth weighted round-robin: add weights, take the (first) largest, subtract the total."""
    total = sum(weights)
    current = [0] * len(weights)
    sequence = []
    for _ in range(n):
        for i, weight in enumerate(weights):
            current[i] += weight
        best = max(range(len(weights)), key=lambda i: current[i])  # first maximum, as nginx's strict `>`
        current[best] -= total
        sequence.append(best)
    return sequence
