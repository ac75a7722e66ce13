"""The SAM CLI path: committed events in step with the template, env.local.json, samconfig.toml, the
DynamoDB endpoint variable and the demo tokens' guard. (Each event's outcome is checked on DynamoDB Local
in tests/integration/test_sam_events_on_ddb_local.py.)

Events live at ``events/<FunctionLogicalId>/<EventLogicalId>-<case>.json``: the path names the function
and the trigger (the event of the function's ``Events``) the file stands for.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from leadrouter.api.auth import claims_of
from leadrouter.demo_auth import DEMO_TOKENS
from leadrouter.runtime import new_repository
from leadrouter_local.apigw import proxy_event
from leadrouter_local.sam_ddb import DEFAULT_PORT, EVENTS_DIR
from leadrouter_local.scheduler import scheduler_input
from leadrouter_local.streams import matches
from leadrouter_local.template import functions, load_template, table_env, table_specs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
FUNCTIONS = functions(TEMPLATE)
NAME = re.compile(r"(?P<function>[A-Za-z0-9]+)/(?P<trigger>[A-Za-z0-9]+)-(?P<case>[a-z0-9-]+)\.json")


def committed() -> dict[str, dict[str, Any]]:
    """Relative path → the parsed event, for every file under events/ except the README."""
    return {
        str(p.relative_to(EVENTS_DIR)): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(EVENTS_DIR.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def triggers() -> dict[tuple[str, str], dict[str, Any]]:
    """(function, event logical id) → ``{"type", "properties"}`` for every trigger in the template."""
    return {(fn, name): ev for fn, spec in FUNCTIONS.items() for name, ev in spec["events"].items()}


def trigger_of(rel: str) -> tuple[str, str, dict[str, Any]]:
    found = NAME.fullmatch(rel)
    assert found, f"events/{rel}: name it events/<FunctionLogicalId>/<EventLogicalId>-<case>.json"
    key = (found["function"], found["trigger"])
    assert key in triggers(), f"events/{rel}: the template has no event {key[1]} on function {key[0]}"
    return key[0], key[1], triggers()[key]


# ------------------------------------------------------------------ events/ in step with the template
def test_there_are_triggers_and_events_to_compare() -> None:
    assert {ev["type"] for ev in triggers().values()} >= {"ScheduleV2", "DynamoDB", "Api", "SQS"}
    assert len(committed()) >= 13


@pytest.mark.parametrize("rel", sorted(committed()))
def test_every_event_file_names_a_function_and_trigger_of_the_template(rel: str) -> None:
    trigger_of(rel)


def test_every_trigger_has_a_committed_event() -> None:
    # Given every trigger the template declares (schedules, streams, queues, ...); the API function's
    # routes count as one trigger per function: one Lambda behind all of them, its cases listed below
    covered = {trigger_of(rel)[:2] for rel in committed()}
    api_functions_covered = {fn for fn, name in covered if triggers()[(fn, name)]["type"] == "Api"}
    # Then each has at least one event under events/<function>/<trigger>-<case>.json
    missing = sorted(
        f"{fn}/{name} ({ev['type']})"
        for (fn, name), ev in triggers().items()
        if (fn, name) not in covered and not (ev["type"] == "Api" and fn in api_functions_covered)
    )
    assert not missing, (
        f"no committed event for: {', '.join(missing)} (add events/<Function>/<Trigger>-<case>.json)"
    )


def test_the_api_cases_the_sam_path_needs_are_committed() -> None:
    names = set(committed())
    assert {
        "ApiFunction/PostFByFormKey-urlencoded.json",
        "ApiFunction/PostIntakeLeads-json.json",
        "ApiFunction/GetLeads-admin.json",
        "ApiFunction/GetLeads-staff.json",
    } <= names


def _check_schedule(rel: str, props: dict[str, Any], event: dict[str, Any]) -> None:
    # Scheduler sends the Input with its context attributes filled: same keys, same fixed values
    template_input = json.loads(props["Input"])
    assert set(event) == set(template_input), rel
    moment = datetime.fromisoformat(event["scheduled_time"].replace("Z", "+00:00"))
    filled = scheduler_input(template_input, moment)
    assert {k: v for k, v in event.items() if k != "execution_id"} == {
        k: v for k, v in filled.items() if k != "execution_id"
    }, rel
    uuid.UUID(event["execution_id"])
    assert "<aws." not in json.dumps(event)


def _check_stream(rel: str, props: dict[str, Any], event: dict[str, Any]) -> None:
    table = props["Stream"]["Fn::GetAtt"][0]
    assert table in table_specs(TEMPLATE), rel
    key_names = {k["AttributeName"] for k in TEMPLATE["Resources"][table]["Properties"]["KeySchema"]}
    view = TEMPLATE["Resources"][table]["Properties"]["StreamSpecification"]["StreamViewType"]
    assert event["Records"], rel
    for record in event["Records"]:
        assert record["eventSource"] == "aws:dynamodb" and record["eventName"] in (
            "INSERT",
            "MODIFY",
            "REMOVE",
        )
        assert f":table/{table}/stream/" in record["eventSourceARN"], rel
        change = record["dynamodb"]
        assert set(change["Keys"]) == key_names and change["StreamViewType"] == view
        image = change["OldImage" if record["eventName"] == "REMOVE" else "NewImage"]  # a REMOVE has no new
        assert {k: image[k] for k in key_names} == change["Keys"], rel


def _check_api(rel: str, props: dict[str, Any], event: dict[str, Any]) -> None:
    assert event["httpMethod"] == str(props["Method"]).upper(), rel
    assert event["resource"] == props["Path"] == event["requestContext"]["resourcePath"], rel
    params = re.findall(r"\{(\w+)\}", props["Path"])
    assert set(event.get("pathParameters") or {}) == set(params), rel
    path = props["Path"]
    for name in params:
        path = path.replace("{" + name + "}", event["pathParameters"][name])
    assert event["path"] == path, rel
    assert event["requestContext"]["path"].endswith(event["path"]), rel
    authenticated = (props.get("Auth") or {}).get("Authorizer") != "NONE"
    claims = (event["requestContext"].get("authorizer") or {}).get("claims")
    if not authenticated:
        assert claims is None, f"{rel}: a public route gets no authorizer claims"
    elif claims is None:  # what `sam local start-api` delivers: the header, no authorizer
        assert rel.endswith("-demo-token.json"), f"{rel}: an authenticated route needs claims"
        assert event["headers"]["Authorization"].removeprefix("Bearer ") in DEMO_TOKENS
    else:
        assert claims["custom:tenant_id"] == "demo" and claims["custom:role"] in (
            "admin",
            "team_lead",
            "staff",
        )
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}, rel


def _check_sqs(rel: str, props: dict[str, Any], event: dict[str, Any]) -> None:
    queue = props["Queue"]["Fn::GetAtt"][0] if isinstance(props.get("Queue"), dict) else None
    assert event["Records"], rel
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs" and isinstance(record["body"], str), rel
        assert record["eventSourceARN"].startswith("arn:aws:sqs:"), rel
        # a batch item failure names the messageId; SQS's MD5 is of the body as sent
        assert record["messageId"] and record["receiptHandle"], rel
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest(), f"{rel}: md5OfBody"
        if queue:
            assert queue in record["eventSourceARN"].rsplit(":", 1)[1], f"{rel}: name the queue {queue}"


SHAPES = {"ScheduleV2": _check_schedule, "DynamoDB": _check_stream, "Api": _check_api, "SQS": _check_sqs}


@pytest.mark.parametrize("rel", sorted(committed()))
def test_every_event_has_the_shape_its_trigger_delivers(rel: str) -> None:
    _, _, trigger = trigger_of(rel)
    assert trigger["type"] in SHAPES, f"{rel}: add a shape check for {trigger['type']} events"
    SHAPES[trigger["type"]](rel, trigger["properties"], committed()[rel])


def test_the_stream_events_show_what_the_filter_lets_through_and_what_it_drops() -> None:
    # Given the template's filter on the assign function's stream
    props = triggers()[("AssignFunction", "LeadArrived")]["properties"]
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]

    def passes(rel: str) -> bool:
        return all(any(matches(p, record) for p in patterns) for record in committed()[rel]["Records"])

    # Then a pending lead passes it; a change to an assigned lead is dropped on AWS (sam local
    # invoke does not filter: the handler must ignore it, which the integration test checks)
    assert passes("AssignFunction/LeadArrived-pending-lead.json")
    assert not passes("AssignFunction/LeadArrived-assigned-lead-called.json")
    # And the expiry function's filter lets DynamoDB's own deletion through, and no lead change
    expiry = triggers()[("LeadExpiryFunction", "LeadExpired")]["properties"]
    patterns = [json.loads(f["Pattern"]) for f in expiry["FilterCriteria"]["Filters"]]
    assert passes("LeadExpiryFunction/LeadExpired-ttl-deletion.json")
    assert not passes("AssignFunction/LeadArrived-pending-lead.json")
    assert not passes("PublishFunction/LeadChanged-lead-assigned.json")


# ------------------------------------------------------------------ DynamoDB endpoint
def test_every_function_declares_the_dynamodb_endpoint_empty_by_default() -> None:
    # SAM passes a function only the variables it declares: every function declares the endpoint
    for lid, spec in FUNCTIONS.items():
        assert spec["environment"].get("AWS_ENDPOINT_URL_DYNAMODB") == {"Ref": "DynamoDbEndpoint"}, lid
    assert TEMPLATE["Parameters"]["DynamoDbEndpoint"]["Default"] == ""


def _endpoint_of_repository(monkeypatch: pytest.MonkeyPatch, value: str | None) -> str:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    if value is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", value)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    monkeypatch.setenv("LEADS_TABLE", "L")
    monkeypatch.setenv("CONFIG_TABLE", "C")
    endpoint: str = new_repository()._client.meta.endpoint_url
    return endpoint


def test_an_empty_endpoint_is_dynamodbs_own_regional_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the deployed value (the template's default: "") and, for contrast, no variable at all
    # When the data layer builds its DynamoDB client
    # Then boto3 uses AWS's own endpoint of the region, exactly as without the variable
    aws = "https://dynamodb.ap-southeast-1.amazonaws.com"
    assert _endpoint_of_repository(monkeypatch, "") == aws
    assert _endpoint_of_repository(monkeypatch, None) == aws
    # And a set value (sam local, env.local.json) is honoured
    assert _endpoint_of_repository(monkeypatch, "http://127.0.0.1:8000") == "http://127.0.0.1:8000"


def test_env_local_json_points_every_function_at_make_ddb() -> None:
    env = json.loads((ROOT / "env.local.json").read_text(encoding="utf-8"))
    # SAM's --env-vars format: a Parameters block for all functions, one block per function on top
    assert set(env) == {"Parameters", "ApiFunction"}
    # The API's admin origin is the console's CloudFront domain, which sam local cannot resolve (it
    # would pass "https://$ConsoleDistribution.DomainName" on): any origin, as on make run
    assert env["ApiFunction"] == {"ALLOWED_ORIGINS": "*"}
    assert "ALLOWED_ORIGINS" in FUNCTIONS["ApiFunction"]["environment"]
    values = env["Parameters"]
    # SAM ignores a variable a function does not declare: every one here is declared by every function
    for lid, spec in FUNCTIONS.items():
        assert set(values) <= set(spec["environment"]), lid
    # the tables `make ddb` creates (logical ids, no prefix) and its default port
    assert {k: v for k, v in values.items() if k.endswith("_TABLE")} == table_env(
        {lid: lid for lid in table_specs(TEMPLATE)}, TEMPLATE
    )
    assert values["AWS_ENDPOINT_URL_DYNAMODB"] == f"http://127.0.0.1:{DEFAULT_PORT}"
    assert re.search(rf"^DDB_PORT \?= {DEFAULT_PORT}$", (ROOT / "Makefile").read_text(), re.M)
    assert "AWS_SAM_LOCAL" not in values


# ------------------------------------------------------------------ demo tokens: sam local only
def _start_api_event(authorization: str | None, claims: dict[str, str] | None = None) -> Any:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

    headers = {"Authorization": authorization} if authorization else {}
    return APIGatewayProxyEvent(proxy_event("GET", "/leads", None, headers=headers, claims=claims))


def test_a_demo_token_means_nothing_unless_sam_cli_says_it_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a request with a demo token and no authorizer claims (what sam local start-api delivers)
    request = _start_api_event("Bearer demo-admin")
    # When AWS_SAM_LOCAL is unset (AWS never sets it) or anything but "true": no claims (a 401)
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    assert claims_of(request) is None
    for value in ("", "false", "TRUE", "1"):
        monkeypatch.setenv("AWS_SAM_LOCAL", value)
        assert claims_of(request) is None, value
    # When SAM CLI set it: the demo admin's claims, the same make run's authorizer emulation gives
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    assert claims_of(request) == DEMO_TOKENS["demo-admin"]
    # And an unknown token, or none, is still nobody
    assert claims_of(_start_api_event("Bearer forged")) is None
    assert claims_of(_start_api_event(None)) is None
    # And verified claims win over the header
    staff = DEMO_TOKENS["demo-staff-a"]
    assert claims_of(_start_api_event("Bearer demo-admin", claims=staff)) == staff


def test_make_run_reads_tokens_with_the_same_code() -> None:
    from leadrouter_local.apigw import Tokens

    assert Tokens(DEMO_TOKENS).claims("Bearer demo-staff-b") == DEMO_TOKENS["demo-staff-b"]
    assert Tokens(DEMO_TOKENS).claims("Bearer nope") is None


def test_the_api_function_never_loads_the_demo_tokens_off_sam_local() -> None:
    # Given a fresh interpreter without AWS_SAM_LOCAL, as on AWS
    code = (
        "import sys, functions.api.app as a; from leadrouter_local.apigw import proxy_event;"
        "from tests.support.lambda_context import FakeContext;"
        "r = a.handler(proxy_event('GET', '/leads', None, headers={'Authorization': 'Bearer demo-admin'}),"
        " FakeContext()); print(r['statusCode'], 'leadrouter.demo_auth' in sys.modules)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}",
        "LEADS_TABLE": "L",
        "CONFIG_TABLE": "C",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "T",
        "POWERTOOLS_SERVICE_NAME": "t",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    # When the API function answers a demo token
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then it is a 401, and the demo token table was never even imported
    assert done.stdout.split()[-2:] == ["401", "False"], done.stderr[-2000:]


def test_nothing_deployed_can_set_aws_sam_local() -> None:
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert "AWS_SAM_LOCAL" not in text
    for spec in FUNCTIONS.values():
        assert "AWS_SAM_LOCAL" not in spec["environment"]


# ------------------------------------------------------------------ samconfig.toml
SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("env", ["default", "prod"])
def test_every_command_finds_the_region_and_the_stack(env: str) -> None:
    params = SAMCONFIG[env]["global"]["parameters"]
    assert params["region"] == "ap-southeast-1"
    assert params["stack_name"] == f"leadrouter-{'dev' if env == 'default' else 'prod'}"


def test_sam_local_uses_the_env_file_the_host_network_and_warm_containers() -> None:
    invoke = SAMCONFIG["default"]["local_invoke"]["parameters"]
    assert (invoke["env_vars"], invoke["docker_network"]) == ("env.local.json", "host")
    api = SAMCONFIG["default"]["local_start_api"]["parameters"]
    assert (api["env_vars"], api["docker_network"], api["warm_containers"]) == (
        "env.local.json",
        "host",
        "EAGER",
    )
    assert (ROOT / invoke["env_vars"]).is_file()


def test_prod_leaves_the_admin_apis_origin_to_the_console() -> None:
    overrides = dict(
        pair.split("=", 1)
        for pair in SAMCONFIG["prod"]["deploy"]["parameters"]["parameter_overrides"].split()
    )
    # An origin set here would replace the console's (CORS answers one origin), so prod sets none …
    assert "AllowedOrigins" not in overrides
    assert overrides["Stage"] == "prod"
    # … and the template's default, empty, means the console's own origin
    parameter = TEMPLATE["Parameters"]["AllowedOrigins"]
    assert parameter["Default"] == "" and re.fullmatch(parameter["AllowedPattern"], "")


def test_make_run_gives_its_functions_dynamodb_locals_endpoint_not_the_templates_empty_one() -> None:
    from leadrouter_local.environment import resolve_environment

    tables = {lid: lid for lid in table_specs(TEMPLATE)}
    assert resolve_environment(TEMPLATE, tables)["AWS_ENDPOINT_URL_DYNAMODB"] == ""
    local = resolve_environment(TEMPLATE, tables, endpoint="http://127.0.0.1:8123")
    assert local["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:8123"
