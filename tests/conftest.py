"""Suite-wide settings: no real AWS is ever reachable from a test, and Powertools stays quiet."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from functools import cache
from typing import Any

# Before any leadrouter import: Powertools reads its settings when the one Logger/Metrics is created.
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "leadrouter")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LeadRouterTest")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3
import pytest
from hypothesis import settings
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.kms.utils import generate_private_key

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from leadrouter_local.template import create_tables, table_env
from tests.support import moto_fast
from tests.support.template import template

moto_fast.install()

# Hypothesis's per-example deadline is a timing assertion: on a loaded 2-core CI machine it fails
# correct code. Speed is measured in bench/, not asserted here.
settings.register_profile("leadrouter", deadline=None)
settings.load_profile("leadrouter")

#: moto replaces boto3's default session for each mock by default, so that real credentials cached in it
#: never reach a mock (or the reverse); no test here ever sees real credentials. Keeping the one session
#: keeps its loaded service models and endpoint rules: each new session read them from disk again, about
#: half of a moto test's setup.
KEEP_BOTO3_SESSION: Any = {"core": {"reset_boto3_session": False}}


#: The modules whose tests take longest, in that order, run first. ``make test`` hands tests to its workers
#: one or two at a time (``--maxschedchunk 1``), so long tests started first are spread over both workers
#: and the last ones to start are short: neither worker idles while the other finishes a long tail.
LONGEST_FIRST = (
    "test_sweep_faults_on_ddb_local.py",
    "test_schemathesis.py",
    "test_assign_on_ddb_local.py",
    "test_lead_invariants.py",
    "test_working_hours_on_ddb_local.py",
    "test_reclaim_on_ddb_local.py",
    "test_api_reports.py",
    "test_local_stack.py",
    "test_lead_cost_on_ddb_local.py",
    "test_dispatch_on_ddb_local.py",
    "test_secrets_on_local_stack.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first (a stable sort: every other test keeps its place)."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    """Each test starts with an empty intake settings cache and fresh in-memory rate limits (tests reuse
    one form key and one client IP)."""
    from leadrouter import runtime
    from leadrouter.data.cache import SETTINGS_CACHE

    SETTINGS_CACHE.forget()
    runtime._door_limits.cache_clear()
    yield
    SETTINGS_CACHE.forget()


@pytest.fixture(autouse=True)
def _reads_judge_expiry_on_the_test_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads hide what is past its period by ``leadrouter.data.expiry.now``: on the suite's fixed day
    (``builders.NOW``), not the machine's, or a touch recorded on that day would vanish from every test
    once the calendar passed its ``attribution_days``. Tests of expiry move it themselves."""
    from tests.support.builders import NOW

    monkeypatch.setattr("leadrouter.data.expiry.now", lambda: NOW)


@pytest.fixture(scope="session", autouse=True)
def _local_secrets_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tenants' secrets are sealed with a local key, as under ``make run``, unless a test gives a KMS
    key (``moto_tables`` does: moto's KMS)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_SECRETS_KEY_FILE", str(tmp_path_factory.mktemp("secrets") / "secrets.key"))
        yield


@cache
def _one_key_pair_per_spec(key_spec: str) -> Any:
    """moto makes an asymmetric key pair for every KMS key, a symmetric one too (an RSA-2048 key: about
    40 ms, a third of a moto test's setup); the SecretsKey never signs, so one pair per spec serves all."""
    return generate_private_key(key_spec)


@cache
def fixture_client(service: str) -> Any:
    """The fixtures' own clients (tables, key, user pool), built once: building a botocore client is
    about a tenth of a moto test's setup, and moto's stubber answers any client while a mock is active.
    Default (legacy) retries keep no state between calls; the code under test builds its own clients."""
    return boto3.client(service, region_name="ap-southeast-1")


_EMPTY_TABLES: dict[str, Any] = {}


def _template_tables() -> dict[str, str]:
    """The template's tables in the active mock, empty: created through the API once per process, then
    restored from a copy of moto's table objects (creating five tables with their indexes was about a
    third of a moto test's setup; a copy is under a millisecond)."""
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][fixture_client("dynamodb").meta.region_name]
    if not _EMPTY_TABLES:
        names = create_tables(fixture_client("dynamodb"), template())
        _EMPTY_TABLES.update(names=names, tables=copy.deepcopy(backend.tables))
    else:
        backend.tables = copy.deepcopy(_EMPTY_TABLES["tables"])
    return dict(_EMPTY_TABLES["names"])


@pytest.fixture
def moto_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto tables created from template.yaml: fast, single-threaded unit tests only.

    moto is not atomic under concurrent requests, so nothing concurrent is ever asserted on it.
    """
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setattr("leadrouter.logic.routing.assign.WRITE_CONCURRENCY", 1)
    monkeypatch.setattr("leadrouter.logic.imports.rows.WRITERS", 1)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr("moto.kms.models.generate_private_key", _one_key_pair_per_spec)
    with mock_aws(config=KEEP_BOTO3_SESSION):
        names = _template_tables()
        for var, name in table_env(names, template()).items():
            monkeypatch.setenv(var, name)
        key = fixture_client("kms").create_key(Description="SecretsKey")
        monkeypatch.setenv("SECRETS_KEY_ID", key["KeyMetadata"]["Arn"])
        yield names


@pytest.fixture
def moto_repo(moto_tables: dict[str, str]) -> Repository:
    return new_repository()


@pytest.fixture
def user_pool(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stack's user pool on moto (inside moto_tables' mock), named to the API by USER_POOL_ID."""
    from leadrouter import runtime
    from tests.support.cognito import create_pool

    client = fixture_client("cognito-idp")
    monkeypatch.setenv("USER_POOL_ID", create_pool(client))
    runtime._identity.cache_clear()
    yield client
    runtime._identity.cache_clear()
