"""One tenant's burst on DynamoDB Local with AWS's per-partition-key write limit reproduced (a token
bucket per key, ``tests.support.partition_limits``): every submission a sender was answered as
accepted ends as exactly one lead, none is refused, once the overflow queue is drained by the
template's IntakeOverflowFunction (its batches, partial failures and visibility timeouts, emulated).

The budget is small (20 WCU a second per key) so that a short burst from a few threads exceeds it many
times over, as 2,000 leads a second exceed 1,000 WCU on AWS; the rate itself is bench/tenant_burst.py's.
"""

from __future__ import annotations

import time
from typing import Any

from leadrouter.runtime import new_repository
from leadrouter_local.ddb_local import DynamoDBLocal
from tests.support.burst import ending, offer, overflow_stack, seed

SUBMISSIONS = 80


def test_a_burst_over_the_partition_limit_ends_as_exactly_one_lead_per_submission(
    ddb_local: DynamoDBLocal, ddb_tables: dict[str, str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    repo = new_repository()
    keys = seed(repo, sources=4)
    # The partitions' clock stands still while the burst arrives, so the burst exceeds their one
    # second's worth however slowly this machine offers it; it runs again for the drain
    held_at: list[float] = [time.monotonic()]
    with overflow_stack(
        ddb_local.client(), wcu=20, clock=lambda: held_at[0] if held_at else time.monotonic()
    ) as stack:
        # Given the tenant's partitions taking 20 WCU a second each
        # When 80 submissions come at once from 8 senders
        offered = offer(keys, SUBMISSIONS, threads=8)
        held_at.clear()

        # Then none was refused: those the tables could not take were queued and answered as accepted
        assert not offered.refused, offered.refused
        assert offered.queued, "the burst never met the limit"
        assert sum(stack.limits.throttled.values()) > 0
        # And once the drain (two at a time, as the 2 cores here allow) has emptied the queue
        stack.drain(seconds=60, concurrency=2)
        assert stack.waiting() == 0 and stack.dead_lettered() == 0

    # Then every submission is exactly one lead, and every record reads as accepted
    end = ending(repo, offered.answered_accepted)
    assert (end.lost, end.duplicated) == ([], [])
    assert end.leads == SUBMISSIONS
    assert end.unresolved == 0
