"""record_touch on DynamoDB Local (real threads): touches racing on one lead never lose the first touch."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.leads import LeadStatus
from leadrouter.runtime import new_repository
from tests.support.builders import NOW, TENANT, lead


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


@pytest.mark.parametrize("racers", [2, 8])
def test_touches_racing_on_a_lead_without_attribution_keep_one_first_touch(
    repo: Repository, racers: int
) -> None:
    # Given an assigned lead without attribution (imported before attribution existed)
    repo.put_new_lead(lead(lead_id="L-1", status=LeadStatus.ASSIGNED, owner="A", assignees=["A"]))
    touches = [Touch(utm_source=f"source-{i}", at=NOW + timedelta(seconds=i)) for i in range(racers)]
    barrier = threading.Barrier(racers)

    def record(touch: Touch) -> None:
        own_client = new_repository()  # one client per thread, like separate Lambdas
        barrier.wait()
        own_client.record_touch(TENANT, "L-1", touch)

    # When several submissions record their touch at the same instant
    with ThreadPoolExecutor(max_workers=racers) as pool:
        list(pool.map(record, touches))
    # Then the lead has a first touch and a latest touch, each one of the racers' (none lost, none mixed)
    stored = repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution is not None
    assert stored.attribution.first in touches and stored.attribution.latest in touches
    # …every write bumped the revision once, and nothing else changed: still A's, still assigned
    assert stored.rev == racers
    assert (stored.status, stored.owner, stored.damaged_fields) == (LeadStatus.ASSIGNED, "A", [])
    # …and a later touch replaces only the latest: the first stays whichever won the race
    later = Touch(utm_source="google", gclid="Cj0KCQiA", at=NOW + timedelta(days=1))
    repo.record_touch(TENANT, "L-1", later)
    again = repo.get_lead(TENANT, "L-1")
    assert again is not None
    assert again.attribution == Attribution(first=stored.attribution.first, latest=later)


def test_a_touch_for_a_missing_lead_writes_nothing(repo: Repository) -> None:
    repo.record_touch(TENANT, "L-gone", Touch(utm_source="fb", at=NOW))
    assert repo.get_lead(TENANT, "L-gone") is None
