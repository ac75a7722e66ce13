"""template.yaml: lint-clean, code where it points, schedules that retry and dead-letter, least privilege."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadrouter_local.template import TEMPLATE_PATH, functions, load_template

REPO_ROOT = TEMPLATE_PATH.parent
TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE.get("Globals", {}).get("Function", {})
FUNCTIONS = {lid: r for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
SCHEDULES = [
    (lid, name, event["properties"])
    for lid, fn in functions(TEMPLATE).items()
    for name, event in fn["events"].items()
    if event["type"] == "ScheduleV2"
]

# Properties of a SAM ScheduleV2 event (SAM developer guide).  cfn-lint 1.58 does not report
# unknown or invalid event properties, so this test does.
SCHEDULE_V2_PROPERTIES = {
    "DeadLetterConfig",
    "Description",
    "EndDate",
    "FlexibleTimeWindow",
    "GroupName",
    "Input",
    "KmsKeyArn",
    "Name",
    "OmitName",
    "PermissionsBoundary",
    "RetryPolicy",
    "RoleArn",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "State",
}


def _setting(lid: str, key: str) -> Any:
    """A function property as SAM resolves it: the function's own value, else Globals.Function's."""
    props = FUNCTIONS[lid]["Properties"]
    return props.get(key, GLOBAL_FUNCTION.get(key))


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _cfn_lint() -> list[str]:
    """The cfn-lint next to this interpreter (the venv's), else its entry point run by this Python."""
    script = Path(sys.executable).parent / "cfn-lint"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def test_cfn_lint_reports_nothing():
    # Given the template; When cfn-lint runs on it (offline)
    result = subprocess.run(
        [*_cfn_lint(), "--", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )

    # Then it exits 0 with no findings at all
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert result.stderr.strip() == ""


def test_there_are_functions_and_schedules_to_check():
    assert {"AssignFunction", "ReclaimFunction"} <= set(FUNCTIONS)
    assert {lid for lid, _, _ in SCHEDULES} >= {"AssignFunction", "ReclaimFunction"}


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_every_function_points_at_existing_code(lid):
    # Given the function's CodeUri and Handler
    code_uri = _setting(lid, "CodeUri")
    handler = _setting(lid, "Handler")
    assert isinstance(code_uri, str)
    assert isinstance(handler, str)
    module, _, attribute = handler.rpartition(".")

    # When both are resolved against the repository
    code_dir = REPO_ROOT / code_uri
    module_path = code_dir / Path(*module.split("."))

    # Then the directory and the handler module exist
    assert code_dir.is_dir(), code_dir
    assert module_path.with_suffix(".py").is_file() or (module_path / "__init__.py").is_file(), module_path
    assert attribute


@pytest.mark.parametrize(("lid", "name", "props"), SCHEDULES, ids=[f"{lid}.{n}" for lid, n, _ in SCHEDULES])
def test_every_schedule_omits_its_name_retries_and_dead_letters(lid, name, props):
    # Given a ScheduleV2 event; Then it only uses known properties ...
    assert set(props) <= SCHEDULE_V2_PROPERTIES, set(props) - SCHEDULE_V2_PROPERTIES
    # ... omits the name (so stacks per stage do not collide) ...
    assert props.get("OmitName") is True
    # ... retries within EventBridge Scheduler's limits ...
    retry = props.get("RetryPolicy")
    assert isinstance(retry, dict)
    assert set(retry) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}
    assert 0 <= retry["MaximumRetryAttempts"] <= 185
    assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400
    # ... dead-letters to a queue of this stack ...
    dlc = props.get("DeadLetterConfig")
    assert isinstance(dlc, dict)
    arn = dlc.get("Arn")
    assert isinstance(arn, dict)
    assert arn.get("Fn::GetAtt", [None])[0] in RESOURCES
    assert RESOURCES[arn["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    # ... and sends a JSON input the handler can read
    payload = json.loads(props["Input"])
    assert payload["trigger"] == "schedule"
    assert payload["scheduled_time"] == "<aws.scheduler.scheduled-time>"
    assert payload["execution_id"] == "<aws.scheduler.execution-id>"


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_no_function_gets_broad_dynamodb_access(lid):
    # Given the function's policies
    policies = FUNCTIONS[lid]["Properties"].get("Policies", [])
    tokens = [v for v in _walk(policies) if isinstance(v, str)]

    # Then no SAM CRUD template and no wildcard action is used
    assert "DynamoDBCrudPolicy" not in tokens
    assert "dynamodb:*" not in tokens
    assert "*" not in [
        a
        for p in policies
        if isinstance(p, dict)
        for s in p.get("Statement", [])
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]


@pytest.mark.parametrize("lid", sorted(FUNCTIONS))
def test_every_function_runs_on_arm64_with_a_lease_longer_than_its_timeout(lid):
    assert _setting(lid, "Architectures") == ["arm64"]
    lease = FUNCTIONS[lid]["Properties"].get("Environment", {}).get("Variables", {}).get("LEASE_SECONDS")
    if lease is not None:
        assert int(lease) > int(_setting(lid, "Timeout"))


def test_the_shared_layer_is_built_for_the_functions_runtime_and_architecture():
    layer = RESOURCES["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == GLOBAL_FUNCTION["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [GLOBAL_FUNCTION["Runtime"]]
    assert layer["Properties"]["CompatibleArchitectures"] == GLOBAL_FUNCTION["Architectures"]
    assert (REPO_ROOT / layer["Properties"]["ContentUri"] / "leadrouter" / "__init__.py").is_file()
    assert {"Ref": "SharedLayer"} in GLOBAL_FUNCTION["Layers"]


@pytest.mark.parametrize(
    "lid", sorted(lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::DynamoDB::Table")
)
def test_every_table_is_on_demand_encrypted_recoverable_and_retained(lid):
    table = RESOURCES[lid]
    props = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "TableName" not in props


def test_the_loader_maps_every_short_tag_to_its_long_form(tmp_path):
    # Given a template using each CloudFormation short tag
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  R:\n"
        "    Properties:\n"
        "      a: !Ref X\n"
        "      b: !GetAtt X.Arn\n"
        "      c: !GetAtt [X, Y.Z]\n"
        "      d: !Sub '${X}-y'\n"
        "      e: !Join ['-', [a, !Ref X]]\n"
        "      f: !If [C, 1, 2]\n"
        "      g: !Equals [a, b]\n"
        "      h: !Not [!Condition C]\n"
        "      i: !Select [0, !Split [',', 'a,b']]\n"
        "      j: !FindInMap [M, k1, k2]\n"
        "      k: !ImportValue exported\n"
        "      l: !Base64 text\n"
        "      m: !And [!Condition C, !Or [!Condition D, !Condition E]]\n"
        "      n: !GetAZs ''\n"
        "      o: !Cidr [10.0.0.0/16, 4, 8]\n"
        "      p: 2024-01-01\n",
        encoding="utf-8",
    )

    # When it is loaded
    props = load_template(path)["Resources"]["R"]["Properties"]

    # Then each tag is its long-form intrinsic, and dates stay strings as in CloudFormation
    assert props == {
        "a": {"Ref": "X"},
        "b": {"Fn::GetAtt": ["X", "Arn"]},
        "c": {"Fn::GetAtt": ["X", "Y.Z"]},
        "d": {"Fn::Sub": "${X}-y"},
        "e": {"Fn::Join": ["-", ["a", {"Ref": "X"}]]},
        "f": {"Fn::If": ["C", 1, 2]},
        "g": {"Fn::Equals": ["a", "b"]},
        "h": {"Fn::Not": [{"Condition": "C"}]},
        "i": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "j": {"Fn::FindInMap": ["M", "k1", "k2"]},
        "k": {"Fn::ImportValue": "exported"},
        "l": {"Fn::Base64": "text"},
        "m": {"Fn::And": [{"Condition": "C"}, {"Fn::Or": [{"Condition": "D"}, {"Condition": "E"}]}]},
        "n": {"Fn::GetAZs": ""},
        "o": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        "p": "2024-01-01",
    }
