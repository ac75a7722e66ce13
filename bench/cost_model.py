"""The arithmetic of the cost bench: units per lead × a region's list prices → dollars per million leads.

Pure (no AWS, no clock, no stack): ``bench/cost_per_million.py`` measures the units on the local stack,
``bench/prices.json`` holds the prices, ``tests/unit/test_cost_model.py`` checks the sums. Monthly
charges (a metric, an alarm, a ticking schedule) are spread over the leads of a month, so they are
stated at a volume.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: SQS requests and EventBridge events are billed per started 64 KB of payload.
CHUNK_BYTES = 64 * 1024
#: AWS prorates monthly charges (metrics, alarms, caching) over a 730-hour month.
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
#: Bytes CloudWatch Logs adds to each log event's message when it sizes a batch.
LOG_EVENT_OVERHEAD_BYTES = 26
PRICES_PATH = Path(__file__).with_name("prices.json")


def chunks(size_bytes: int, chunk: int = CHUNK_BYTES) -> int:
    """Billed units of one payload: every started ``chunk`` counts (an empty payload still counts one)."""
    return max(1, -(-size_bytes // chunk))


def billed_ms(duration_ms: float) -> int:
    """Lambda bills an invocation's duration rounded up to the next millisecond (at least 1 ms)."""
    return max(1, math.ceil(duration_ms))


def gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """GB-seconds of one invocation: configured memory (MB / 1024) × billed seconds."""
    return memory_mb / 1024 * billed_ms(duration_ms) / 1000


def sampled_share(per_second: float, rate: float = 0.05) -> float:
    """Share of requests X-Ray's default rule records when they arrive at random at ``per_second``:
    the first of each second (the reservoir of 1) and ``rate`` of the others."""
    if per_second <= 0:
        return 1.0
    first = 1 - math.exp(-per_second)  # P(at least one arrival in a second) = E[min(N, 1)]
    return (first + rate * (per_second - first)) / per_second


@dataclass(frozen=True)
class Price:
    """``usd`` for ``per`` units of ``unit``, and where the figure comes from."""

    usd: float
    per: float
    unit: str
    source: str
    date: str

    @property
    def each(self) -> float:
        return self.usd / self.per


def load_prices(region: str, path: Path = PRICES_PATH) -> dict[str, Price]:
    """One region's price table (KeyError naming the regions there are, for one that is not)."""
    regions = json.loads(path.read_text(encoding="utf-8"))["regions"]
    if region not in regions:
        raise KeyError(f"no prices for {region!r}; the table has {', '.join(sorted(regions))}")
    return {key: Price(**entry) for key, entry in regions[region].items()}


@dataclass(frozen=True)
class Line:
    """One billed quantity per lead: ``units`` of the price ``price`` (a key of the table). A ``fixed``
    line is a monthly quantity already spread over a month's leads (see ``per_lead``)."""

    service: str
    item: str
    units: float
    price: str
    fixed: bool = False


def per_lead(monthly_units: float, leads_per_month: float) -> float:
    """A monthly quantity (a tick's work, a metric-month) spread over a month's leads."""
    return monthly_units / leads_per_month


@dataclass(frozen=True)
class Priced:
    line: Line
    usd_per_million: float


@dataclass(frozen=True)
class ServiceCost:
    """A service's dollars per million leads: what grows with leads, and its monthly share."""

    service: str
    variable: float
    fixed: float

    @property
    def total(self) -> float:
        return self.variable + self.fixed


@dataclass(frozen=True)
class Bill:
    """Every line priced and the services' sums (largest first), per million leads."""

    lines: list[Priced]
    services: list[ServiceCost]

    @property
    def variable(self) -> float:
        return sum(s.variable for s in self.services)

    @property
    def fixed(self) -> float:
        return sum(s.fixed for s in self.services)

    @property
    def total(self) -> float:
        return self.variable + self.fixed

    def share(self, usd: float) -> float:
        return usd / self.total if self.total else 0.0


def price(lines: Iterable[Line], prices: dict[str, Price]) -> Bill:
    priced = [Priced(line, line.units * prices[line.price].each * 1_000_000) for line in lines]
    variable: dict[str, float] = defaultdict(float)
    fixed: dict[str, float] = defaultdict(float)
    for entry in priced:
        (fixed if entry.line.fixed else variable)[entry.line.service] += entry.usd_per_million
    services = [ServiceCost(s, variable[s], fixed[s]) for s in {**variable, **fixed}]
    return Bill(priced, sorted(services, key=lambda s: -s.total))
