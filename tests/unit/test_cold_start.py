"""What a cold container of the API loads, what it loads later, and how SnapStart's hooks renew it.

The import-level checks run the handler in a fresh interpreter, as Lambda imports it (``app`` from the
function's folder, ``leadrouter`` from the layer's path), with a Lambda container's environment.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadrouter import runtime
from leadrouter.api.app import GROUP_NAMES, create_app, groups_for, route_module
from leadrouter.observability import Untraced
from leadrouter_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
API_FOLDER = ROOT / "functions" / "api"

#: Reported by the subprocess: which of these were imported.
WATCHED = (
    "aws_xray_sdk",
    "leadrouter.data.repository",
    "leadrouter.logic.intake.pipeline",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "openpyxl",
    "holidays",
)
_REPORT = (
    "import json, sys\n"
    "def loaded():\n"
    "    return sorted({m for m in sys.modules for w in WATCHED if m == w or m.startswith(w + '.')} "
    "| {m for m in sys.modules if m.startswith('leadrouter.api.routes.')})\n"
    "import app\n"
    "imported = loaded()\n"
    "from leadrouter.api.app import groups_for\n"
    "app.app.include_groups(groups_for('/f/fk_test'))\n"
    "print(json.dumps({'imported': imported, 'after_form': loaded(), 'tracer': type(app.tracer).__name__}))\n"
)


def _lambda_env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT / "shared"),
        "LAMBDA_TASK_ROOT": str(API_FOLDER),
        "AWS_LAMBDA_FUNCTION_NAME": "leadrouter-api",
        "AWS_REGION": "ap-southeast-1",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "POWERTOOLS_SERVICE_NAME": "leadrouter",
        "POWERTOOLS_METRICS_NAMESPACE": "LeadRouterTest",
    }
    return {**env, **extra}


def _import_api(env: dict[str, str], script: str = _REPORT) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", f"WATCHED = {WATCHED!r}\n{script}"],
        cwd=API_FOLDER,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_api_handler_with_tracing_off_loads_no_xray_sdk_and_no_route_group() -> None:
    # When a container without tracing imports the API handler
    report = _import_api(_lambda_env(POWERTOOLS_TRACE_DISABLED="true"))
    # Then neither the X-Ray SDK, nor any route group, the repository, the request validation or
    # a heavy library is loaded yet
    assert report["tracer"] == "Untraced"
    assert report["imported"] == []
    # …and a form's POST loads its own group and the intake, not the admin screens' code
    after = set(report["after_form"])
    assert {"leadrouter.api.routes.intake", "leadrouter.logic.intake.pipeline"} <= after
    assert "leadrouter.data.repository" in after
    assert not {m for m in after if m.startswith(("leadrouter.api.routes.exports", "openpyxl", "holidays"))}
    assert "aws_xray_sdk" not in after


def test_a_traced_container_still_gets_powertools_tracer_on_the_x_ray_sdk() -> None:
    # When tracing is on (in Lambda, POWERTOOLS_TRACE_DISABLED not set)
    report = _import_api(_lambda_env(AWS_XRAY_CONTEXT_MISSING="LOG_ERROR"))
    # Then the handler is traced by Powertools' Tracer, which loaded the SDK
    assert report["tracer"] == "Tracer"
    assert "aws_xray_sdk" in report["imported"]


def test_untraced_handlers_are_the_handlers_as_written() -> None:
    def handler(event: dict[str, Any], context: Any) -> str:
        return "answer"

    untraced = Untraced()
    assert untraced.capture_lambda_handler(capture_response=False, capture_error=False)(handler) is handler
    assert untraced.capture_lambda_handler(handler) is handler


def _sample_path(rule: str) -> str:
    return "/".join(f"x{n}" if part.startswith("<") else part for n, part in enumerate(rule.split("/")))


def test_a_lazily_routed_app_sends_every_path_where_the_app_with_every_route_does() -> None:
    # Given the app with every route group, and each route's group
    eager = create_app()
    group_of = {id(func): name for name in GROUP_NAMES for func in route_module(name).router._routes.values()}
    routes = [r for r in [*eager._static_routes, *eager._dynamic_routes] if id(r.func) in group_of]
    assert len(routes) > 50
    for route in routes:
        path = _sample_path(route.openapi_path.replace("{", "<").replace("}", ">"))
        # Then the path's groups include the route's own
        assert group_of[id(route.func)] in groups_for(path), (route.method, path)
        # …and an app that loaded only those groups routes it to the same function as the full app
        lazy = create_app(lazy=True)
        lazy.include_groups(groups_for(path))
        assert _first_match(lazy, route.method, path) is _first_match(eager, route.method, path)


def test_groups_loaded_in_any_order_keep_the_full_apps_precedence() -> None:
    # Given an app that loaded the exports group before the leads group (two groups under /leads)
    lazy = create_app(lazy=True)
    lazy.include_groups(["exports"])
    lazy.include_groups(["leads", "exports"])
    eager = create_app()
    # Then a path both could serve goes where the full app sends it
    for method, path in (("GET", "/leads/exports/x1"), ("GET", "/leads/x1"), ("POST", "/leads/exports")):
        assert _first_match(lazy, method, path) is _first_match(eager, method, path), path
    assert lazy.included == ["exports", "leads"]


def test_first_requests_arriving_together_include_each_group_once() -> None:
    # Given a lazy app, and 8 threads routing paths of the groups under /leads at once
    lazy, eager = create_app(lazy=True), create_app()
    start = threading.Barrier(8)

    def first_request(path: str) -> None:
        start.wait()
        lazy.include_groups(groups_for(path))

    threads = [threading.Thread(target=first_request, args=(p,)) for p in ["/leads/x1", "/leads/exports"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each group was included once, its routes in the full app's order
    assert sorted(lazy.included) == ["consents", "exports", "leads"]
    eager_leads = [r.rule.pattern for r in eager._dynamic_routes if r.rule.pattern.startswith("^/leads")]
    assert [r.rule.pattern for r in lazy._dynamic_routes] == eager_leads


def _first_match(app: Any, method: str, path: str) -> Any:
    for route in [*app._static_routes, *app._dynamic_routes]:
        if route.method == method and route.rule.match(path):
            return route.func
    return None


# ------------------------------------------------------------------ SnapStart
_FAKE_RUNTIME_HOOKS = """
BEFORE, AFTER = [], []
def register_before_snapshot(func, *args, **kwargs):
    BEFORE.append(func)
    return func
def register_after_restore(func, *args, **kwargs):
    AFTER.append(func)
    return func
"""


def test_the_api_registers_snapstart_hooks_loading_every_route_and_renewing_clients(tmp_path: Path) -> None:
    # Given Lambda's hook library (a stand-in recording the registrations) on the path
    (tmp_path / "snapshot_restore_py.py").write_text(_FAKE_RUNTIME_HOOKS, encoding="utf-8")
    script = (
        "import json, snapshot_restore_py as hooks\n"
        "import app\n"
        "from leadrouter import runtime\n"
        "before = list(app.app.included)\n"
        "for hook in reversed(hooks.BEFORE):\n"
        "    hook()\n"
        "print(json.dumps({'before': before, 'after_snapshot': app.app.included,\n"
        "    'restore': [f is runtime.renew_after_restore for f in hooks.AFTER]}))\n"
    )
    env = _lambda_env(POWERTOOLS_TRACE_DISABLED="true")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    # When the handler is imported and Lambda runs the before-snapshot hooks
    report = _import_api(env, script)
    # Then nothing was loaded at import, everything is in the snapshot, and a restore renews the clients
    assert report["before"] == []
    assert report["after_snapshot"] == list(GROUP_NAMES)
    assert report["restore"] == [True]


@pytest.fixture
def env(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    monkeypatch.setenv("EVENT_BUS_NAME", "leadrouter-restore-test")
    monkeypatch.setenv(
        "WEBHOOK_DELIVERY_QUEUE_URL", "https://sqs.ap-southeast-1.amazonaws.com/1/restore-test"
    )


def test_after_a_restore_every_client_is_built_anew_and_random_is_reseeded(env: None) -> None:
    # Given the clients a container built before its snapshot, and random's state in the snapshot
    repository, bus, queue = runtime.repository(), runtime.event_bus(), runtime.delivery_queue()
    session = boto3._get_default_session()
    random.seed(20261207)
    snapshot_state = random.getstate()
    # When the after-restore hook runs
    runtime.renew_after_restore()
    # Then each client is built again (new connections, the restored container's credentials)
    assert runtime.repository() is not repository
    assert runtime.repository()._client is not repository._client
    assert runtime.event_bus() is not bus and runtime.delivery_queue() is not queue
    assert boto3._get_default_session() is not session
    # …and random does not continue from the snapshot's state (every restored copy would draw the same)
    assert random.getstate() != snapshot_state
    # …and warm invocations after it share the new clients again
    assert runtime.repository() is runtime.repository()


# ------------------------------------------------------------------ template
def test_the_api_function_publishes_an_alias_with_snapstart_on_a_runtime_that_has_it() -> None:
    template = load_template()
    api = template["Resources"]["ApiFunction"]["Properties"]
    function_globals = template["Globals"]["Function"]
    # SnapStart snapshots published versions; SAM publishes one per deploy and points the Api events at
    # the alias (its integrations and invoke permissions)
    assert api["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert api["AutoPublishAlias"] == "live"
    # Python SnapStart needs python3.12 or later; it does not combine with provisioned concurrency,
    # EFS or more than 512 MB of ephemeral storage
    runtime_name = api.get("Runtime", function_globals["Runtime"])
    assert runtime_name.startswith("python3.") and int(runtime_name.split(".")[1]) >= 12
    assert "ProvisionedConcurrencyConfig" not in api and "FileSystemConfigs" not in api
    assert int(api.get("EphemeralStorage", {}).get("Size", 512)) <= 512
