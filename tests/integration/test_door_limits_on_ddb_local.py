"""A source's budget holds across Lambda containers: concurrent "containers" (each its own memory and
DynamoDB client) share one counter per minute on DynamoDB Local, each claiming
blocks of it (``block_size``) and spending them from memory.

Every container here gets more posts than the budget, so each ends the minute refused by the full
count with nothing of its block left: the total is then exactly the budget, and never more in any case.

Through the API handler the containers are forked processes (Powertools keeps the current event on the
router class, so one process serves one request at a time); the limiter alone also races in threads.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from leadrouter import runtime
from leadrouter.domain.forms import FormDoor, FormSource
from leadrouter.logic.intake.limits import WINDOW_SECONDS, DoorLimits, block_size
from leadrouter.runtime import new_repository
from tests.support.api import FORM_KEY, add_form_source, call, event, frozen_api_clock

NOW = datetime(2026, 12, 6, 22, 30, 10, tzinfo=UTC)
CONTAINERS = 4
SENDERS = 8
POSTS_EACH = 20
BUDGET = 25
FORKED_BUDGET, FORKED_POSTS = 26, 30


def test_containers_sharing_the_count_admit_only_the_sources_budget_in_total(
    ddb_tables: dict[str, str],
) -> None:
    # Given a source admitting 25 posts a minute (claimed in blocks of 3, the last one of 1), and 4
    # containers: each one's memory alone would admit 25 (100 in total)
    source = FormSource(
        tenant_id="t1",
        source_id="web",
        name="Web",
        pool="web",
        rate_per_minute=BUDGET,
        web_form=FormDoor(rate_per_ip_per_minute=6000),
    )
    assert block_size(BUDGET) == 3
    repos = [new_repository() for _ in range(CONTAINERS)]
    containers = [DoorLimits(repo) for repo in repos]
    writes: list[str] = []  # the counter writes of all containers (list.append is atomic)

    def record(params: dict[str, Any], **_: Any) -> None:
        writes.append(params["ExpressionAttributeValues"].get(":want", {}).get("N", "?"))

    for repo in repos:
        repo._client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", record)
    start = threading.Barrier(SENDERS)

    def sender(i: int) -> list[bool]:
        limits = containers[i % CONTAINERS]
        start.wait()
        return [limits.admit(source, f"192.0.2.{i}", NOW) is None for _ in range(POSTS_EACH)]

    # When 8 senders post 20 times each at once, spread over the containers
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        answers = list(pool.map(sender, range(SENDERS)))

    # Then exactly the budget was admitted between them, and the minute's counter says so
    assert sum(sum(admitted) for admitted in answers) == BUDGET
    window = int(NOW.timestamp()) // WINDOW_SECONDS * WINDOW_SECONDS
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    item = client.get_item(
        TableName=ddb_tables["ConfigTable"],
        Key={"pk": {"S": "LIMIT#t1#source#web"}, "sk": {"S": str(window)}},
        ConsistentRead=True,
    )["Item"]
    assert int(item["hits"]["N"]) == BUDGET
    assert int(item["expires_at"]["N"]) > window + WINDOW_SECONDS  # deleted by TTL after its window
    # …in blocks: 9 claims that counted (8 of 3, the last 1), and a container's refused claims only
    # while it learns the minute is full (at most one per token it asked for): fewer writes than posts
    assert len(writes) <= 9 + CONTAINERS * block_size(BUDGET) < BUDGET, writes
    # …and the next minute starts afresh (seen from a new container)
    later = datetime.fromtimestamp(window + WINDOW_SECONDS, UTC)
    assert DoorLimits(new_repository()).admit(source, "198.51.100.2", later) is None


def test_forked_containers_posting_through_the_door_get_only_the_sources_budget(
    ddb_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a source admitting 26 posts a minute (blocks of 3: 8 of them, then the last 2), and 4
    # containers that each post 30 forms from their own IPs at once: each container's memory alone
    # would admit 26 (104 in total)
    add_form_source(
        new_repository(),
        rate_per_minute=FORKED_BUDGET,
        web_form=FormDoor(rate_per_ip_per_minute=FORKED_POSTS),
    )
    frozen_api_clock(monkeypatch, NOW)  # one calendar minute for the whole race (inherited by the forks)
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(CONTAINERS)
    results: multiprocessing.Queue[tuple[int, list[int] | str]] = ctx.Queue()

    def container(i: int) -> None:
        runtime._repository.cache_clear()  # a container of its own: a new client and fresh memory
        start.wait(timeout=60)
        try:
            statuses = []
            for n in range(FORKED_POSTS):
                fields = {"name": f"Khách {i}-{n}", "phone": f"0912{i:02d}{n:04d}"}
                ev = event("POST", f"/f/{FORM_KEY}", raw_body=urlencode(fields), headers=FORM_HEADERS)
                ev["requestContext"]["identity"]["sourceIp"] = f"192.0.2.{i}"
                statuses.append(call(ev).status)
            results.put((i, statuses))
        except Exception as error:  # reported to the test, which fails on it
            results.put((i, f"{type(error).__name__}: {error}"))

    # When they post
    processes = [ctx.Process(target=container, args=(i,)) for i in range(CONTAINERS)]
    for process in processes:
        process.start()
    got = dict(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=30)

    # Then 26 posts were admitted between them, every other one a 429
    assert not [r for r in got.values() if isinstance(r, str)], got
    statuses = [s for r in got.values() if not isinstance(r, str) for s in r]
    assert sorted(set(statuses)) == [201, 429] and statuses.count(201) == FORKED_BUDGET, got


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
