"""Rotation fairness and speed: `python bench/rotation_bench.py` (runs in a few seconds).

Prints, for 300 seeded random 12-staff weight vectors (weights 1..20), the worst prefix deviation of the
optimal cycle and of nginx's smooth weighted round-robin, next to Tijdeman's bound and the trivial lower
bound (whoever takes position 1 is already 1 - w/W ahead); then how long build_cycle takes at W ~ 1,000.
Same seed and generator as tests/unit/test_rotation.py, so the numbers match its rotation_stats.json.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "shared"), str(Path(__file__).resolve().parents[1])]

from leadrouter.domain.rotation import (  # noqa: E402 (found via the path above when run as a script)
    build_cycle,
    max_prefix_deviation,
    normalise_weights,
    optimal_deviation,
)
from tests.support.reference import smooth_wrr  # noqa: E402

SEED = 1993
SAMPLES = 300
STAFF = 12


def fairness() -> None:
    rng = random.Random(SEED)
    samples = [[rng.randint(1, 20) for _ in range(STAFF)] for _ in range(SAMPLES)]
    optimum: list[Fraction] = []
    swrr: list[Fraction] = []
    first_position: list[Fraction] = []
    for weights in samples:
        normalised = normalise_weights(weights)
        total = sum(normalised)
        optimum.append(optimal_deviation(weights))
        swrr.append(max_prefix_deviation(smooth_wrr(normalised, total), weights))
        first_position.append(Fraction(total - max(normalised), total))
    tijdeman = 1 - Fraction(1, 2 * (STAFF - 1))
    print(f"fairness: {SAMPLES} random weight vectors, {STAFF} staff, weights 1..20, seed {SEED}")
    print("  worst prefix deviation, in leads     mean     max")
    print(f"  optimal cycle (this module)        {statistics.fmean(optimum):.3f}   {float(max(optimum)):.3f}")
    print(f"  nginx smooth weighted round-robin  {statistics.fmean(swrr):.3f}   {float(max(swrr)):.3f}")
    print(f"  lower bound 1 - max(w)/W           {statistics.fmean(first_position):.3f}")
    print(f"  Tijdeman bound 1 - 1/(2(k-1))      {float(tijdeman):.3f}")
    print(
        f"  optimum == lower bound: {sum(o == f for o, f in zip(optimum, first_position, strict=True))}"
        f"/{SAMPLES}; SWRR == optimum: {sum(s == o for s, o in zip(swrr, optimum, strict=True))}/{SAMPLES};"
        f" SWRR >= 1 lead: {sum(s >= 1 for s in swrr)}/{SAMPLES}"
    )


def weights_summing_to(total: int, k: int, rng: random.Random) -> list[int]:
    """k random positive weights with exactly the given sum (so W is what the label says)."""
    cuts = sorted(rng.sample(range(1, total), k - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def speed() -> None:
    rng = random.Random(SEED)
    print("speed: build_cycle, best of 5")
    for k in (12, 50):
        weights = weights_summing_to(1000, k, rng)
        total = sum(normalise_weights(weights))
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            build_cycle(weights)
            timings.append(time.perf_counter() - started)
        print(f"  k={k:<3} W={total:<5} {min(timings) * 1000:7.1f} ms")


if __name__ == "__main__":
    fairness()
    speed()
