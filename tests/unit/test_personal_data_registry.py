"""The registry of stores holding personal data (``domain.personal_data``) against template.yaml: a new
table, queue, bucket, bus or log group cannot be added without saying what it holds and how an erasure
treats it, and the registry names nothing the template lacks."""

from __future__ import annotations

import math
from typing import Any

from leadrouter.domain.personal_data import (
    BY_ID,
    FILE_DAYS,
    LOG_DAYS,
    REGISTERED_KINDS,
    REGISTRY,
    StoreKind,
    Treatment,
)
from tests.support.template import template


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def _stores_in_template() -> dict[str, str]:
    return {lid: r["Type"] for lid, r in _resources().items() if r["Type"] in REGISTERED_KINDS}


def test_every_table_queue_bucket_bus_and_log_group_of_the_template_has_an_entry() -> None:
    # Given the template's stores, When the registry is read, Then each has an entry of its own type
    missing = sorted(set(_stores_in_template()) - set(BY_ID))
    assert not missing, (
        f"add these to domain/personal_data.py REGISTRY (what they hold, how erased): {missing}"
    )
    for lid, kind in _stores_in_template().items():
        assert BY_ID[lid].kind.value == kind, f"{lid} is a {kind} in the template"


def test_the_registry_names_nothing_the_template_lacks() -> None:
    registered = {s.logical_id for s in REGISTRY if s.kind is not StoreKind.OTHER}
    extra = sorted(registered - set(_stores_in_template()))
    assert not extra, f"the template has no such resource: {extra}"
    assert len(BY_ID) == len(REGISTRY), "one entry per store"


def test_the_check_catches_a_table_added_without_an_entry() -> None:
    # Given a template with one more table, Then the registry's check names it
    resources = {**_resources(), "AuditTable": {"Type": "AWS::DynamoDB::Table"}}
    stores = {lid for lid, r in resources.items() if r["Type"] in REGISTERED_KINDS}
    assert stores - set(BY_ID) == {"AuditTable"}


def test_every_part_says_what_it_holds_and_how_it_is_treated() -> None:
    for store in REGISTRY:
        assert store.parts, store.logical_id
        for part in store.parts:
            assert part.what and part.holds and part.how, store.logical_id
            if part.treatment is Treatment.EXPIRES:
                assert part.days is not None and part.days > 0, f"{store.logical_id}: expires within?"


def test_what_expires_is_gone_within_the_days_the_template_sets() -> None:
    resources = _resources()
    parameters = template()["Parameters"]
    assert parameters["LogRetentionDays"]["Default"] == LOG_DAYS
    assert parameters["FileRetentionDays"]["Default"] == FILE_DAYS
    for store in REGISTRY:
        if store.kind is StoreKind.QUEUE:
            seconds = int(resources[store.logical_id]["Properties"]["MessageRetentionPeriod"])
            [part] = store.parts
            assert part.days is not None and part.days >= math.ceil(seconds / 86_400), store.logical_id
        if store.kind is StoreKind.LOG_GROUP:
            retention = resources[store.logical_id]["Properties"]["RetentionInDays"]
            assert retention == {"Ref": "LogRetentionDays"}, store.logical_id


def test_the_stores_an_erasure_changes_are_the_ones_it_counts() -> None:
    from leadrouter.logic.privacy.erasure import COUNTED_STORES

    assert {s.logical_id for s in REGISTRY if s.erasable} == set(COUNTED_STORES)
