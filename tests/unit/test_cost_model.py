"""The cost bench's arithmetic: units × list prices → dollars per million leads, 64 KB billing chunks,
Lambda GB-seconds at 1 ms billing, X-Ray's default sampling, and the price table itself."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.cost_model import (
    CHUNK_BYTES,
    PRICES_PATH,
    Line,
    Price,
    billed_ms,
    chunks,
    gb_seconds,
    load_prices,
    per_lead,
    price,
    sampled_share,
)

PRICES = {
    "wru": Price(usd=0.625, per=1_000_000, unit="WRU", source="test", date="2026"),
    "alarm": Price(usd=0.10, per=1, unit="alarm-month", source="test", date="2026"),
}


def test_a_payload_is_billed_per_started_64_kb_and_an_empty_one_counts_once() -> None:
    # Given payloads around the 64 KB boundary / Then each started chunk is one billed request
    assert chunks(0) == 1
    assert chunks(1) == 1
    assert chunks(CHUNK_BYTES) == 1
    assert chunks(CHUNK_BYTES + 1) == 2
    assert chunks(256 * 1024) == 4


@given(st.integers(min_value=0, max_value=10**9))
def test_chunks_cover_the_payload_with_less_than_one_chunk_to_spare(size: int) -> None:
    count = chunks(size)
    assert count * CHUNK_BYTES >= size
    assert size == 0 or (count - 1) * CHUNK_BYTES < size


def test_lambda_bills_each_started_millisecond_at_the_configured_memory() -> None:
    # Given invocations of 0.2 ms, 1 ms and 12.01 ms / Then they bill 1, 1 and 13 ms
    assert [billed_ms(ms) for ms in (0.2, 1.0, 12.01)] == [1, 1, 13]
    # And 100 ms at 512 MB is 0.05 GB-s; at 1,769 MB (one vCPU) 0.1728 GB-s
    assert gb_seconds(100.0, 512) == pytest.approx(0.05)
    assert gb_seconds(100.0, 1769) == pytest.approx(1769 / 1024 * 0.1)
    assert gb_seconds(99.001, 512) == pytest.approx(0.05)


@given(st.floats(min_value=0.0, max_value=900_000.0), st.integers(min_value=128, max_value=10_240))
def test_billed_gb_seconds_never_fall_below_the_measured_time(duration_ms: float, memory_mb: int) -> None:
    billed = gb_seconds(duration_ms, memory_mb)
    assert billed >= memory_mb / 1024 * duration_ms / 1000
    assert billed <= memory_mb / 1024 * (max(duration_ms, 1.0) + 1) / 1000


def test_units_times_prices_give_dollars_per_million_leads_split_into_variable_and_fixed() -> None:
    # Given 12 WRU a lead and 40 alarms a month spread over a million leads
    lines = [
        Line("DynamoDB", "writes", 12.0, "wru"),
        Line("CloudWatch", "alarms", per_lead(40, 1_000_000), "alarm", fixed=True),
    ]
    # When priced
    bill = price(lines, PRICES)
    # Then DynamoDB is 12 × $0.625 = $7.50 a million leads and the alarms $4 a month = $4 a million
    assert bill.variable == pytest.approx(7.5)
    assert bill.fixed == pytest.approx(4.0)
    assert bill.total == pytest.approx(11.5)
    assert [s.service for s in bill.services] == ["DynamoDB", "CloudWatch"]
    assert bill.share(bill.services[0].total) == pytest.approx(7.5 / 11.5)
    # And spread over ten times the leads, the alarms are a tenth as much per million
    tenfold = price(
        [lines[0], Line("CloudWatch", "alarms", per_lead(40, 10_000_000), "alarm", fixed=True)], PRICES
    )
    assert tenfold.total == pytest.approx(7.9)


def test_x_ray_records_every_request_when_they_are_rare_and_about_5_percent_when_they_are_many() -> None:
    assert sampled_share(0.0) == 1.0
    assert sampled_share(0.001) == pytest.approx(1.0, abs=1e-3)
    assert sampled_share(1_000.0) == pytest.approx(0.05 + 0.95 / 1_000, rel=1e-3)
    # one a second on average: 1 − 1/e of seconds have one recorded, plus 5 % of the rest
    first = 1 - math.exp(-1)
    assert sampled_share(1.0) == pytest.approx(first + 0.05 * (1 - first))


@given(st.floats(min_value=1e-6, max_value=1e6))
def test_x_ray_share_is_a_fraction_at_least_the_fixed_rate(per_second: float) -> None:
    assert 0.05 <= sampled_share(per_second) <= 1.0


def test_the_price_table_has_the_same_entries_for_both_regions_each_with_its_source() -> None:
    regions = json.loads(PRICES_PATH.read_text(encoding="utf-8"))["regions"]
    east, singapore = load_prices("us-east-1"), load_prices("ap-southeast-1")
    assert set(regions) == {"us-east-1", "ap-southeast-1"}
    assert east.keys() == singapore.keys()
    for table in (east, singapore):
        for key, entry in table.items():
            assert entry.usd > 0 and entry.per > 0, key
            assert entry.source and entry.date, key
    with pytest.raises(KeyError, match="us-east-1"):
        load_prices("eu-west-9")
