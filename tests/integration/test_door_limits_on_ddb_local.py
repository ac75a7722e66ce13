"""A source's budget holds across Lambda containers: concurrent "containers" (each its own memory and
DynamoDB client) share one counter per minute on DynamoDB Local (issue #23 item 6d)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3

from leadrouter.data.repository import Repository
from leadrouter.domain.forms import FormDoor
from leadrouter.domain.models import FormSource
from leadrouter.logic.limits import WINDOW_SECONDS, DoorLimits
from leadrouter.settings import Settings

NOW = datetime(2026, 12, 6, 22, 30, 10, tzinfo=UTC)
CONTAINERS = 4
SENDERS = 8
POSTS_EACH = 20
BUDGET = 25


def test_containers_sharing_the_count_admit_only_the_sources_budget_in_total(
    ddb_tables: dict[str, str],
) -> None:
    # Given a source admitting 25 posts a minute, and 4 containers: each one's memory alone would
    # admit 25 (100 in total)
    source = FormSource(
        tenant_id="t1",
        source_id="web",
        name="Web",
        pool="web",
        rate_per_minute=BUDGET,
        web_form=FormDoor(rate_per_ip_per_minute=6000),
    )
    containers = [DoorLimits(Repository(Settings.from_env())) for _ in range(CONTAINERS)]
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
    # …and the next minute starts afresh (seen from a new container)
    later = datetime.fromtimestamp(window + WINDOW_SECONDS, UTC)
    assert DoorLimits(Repository(Settings.from_env())).admit(source, "198.51.100.2", later) is None
