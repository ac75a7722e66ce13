"""template.yaml: lint-clean, code where it points, schedules that retry and dead-letter, least privilege."""

from __future__ import annotations

import fnmatch
import json
import re
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
    assert {"DispatchFunction", "AssignFunction", "ReclaimFunction"} <= set(FUNCTIONS)
    # the routing ticks, and the daily privacy-deadline alert
    assert {lid for lid, _, _ in SCHEDULES} == {"DispatchFunction", "AlertFunction"}


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
    assert payload.get("action") in ("assign", "reclaim") or payload.get("kind") == "privacy_requests_due"
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


# ---------------------------------------------------------------------------------------------- API
API: dict[str, Any] = RESOURCES["Api"]["Properties"]
API_FUNCTION: dict[str, Any] = FUNCTIONS["ApiFunction"]["Properties"]
API_EVENTS: dict[str, dict[str, Any]] = {
    name: event["Properties"] for name, event in API_FUNCTION["Events"].items() if event["Type"] == "Api"
}
#: The only routes API Gateway lets through without a Cognito token: intake checks its form key in
#: code (per-key rate limit included), the two documentation routes are public.
PUBLIC_ROUTES = {
    ("POST", "/intake/leads"),
    ("POST", "/f/{form_key}"),
    # a lead source's webhook (its key and the platform's signature checked in code) and Meta's handshake
    ("POST", "/hooks/{form_key}"),
    ("GET", "/hooks/{form_key}"),
    ("GET", "/thanks"),
    ("GET", "/openapi.json"),
    ("GET", "/swagger"),
    ("GET", "/favicon.ico"),
    # the form doors' CORS preflights: answered by the function, per form source
    ("OPTIONS", "/intake/leads"),
    ("OPTIONS", "/f/{form_key}"),
}
#: The operator's routes (the company hosting leadrouter): signed with IAM, never a tenant's token.
OPERATOR_ROUTES = {("POST", "/operator/tenants")}
#: Claims the API authorises on; a user must never be able to write them on their own account.
AUTHORISING_ATTRIBUTES = {"custom:tenant_id", "custom:role", "custom:staff_id", "custom:team"}


def _app_routes() -> set[tuple[str, str]]:
    """(METHOD, path in API Gateway's {param} syntax) of every route the API resolver serves.

    Powertools keeps the registered routes (routers included once ``include_router`` ran) in
    ``_static_routes`` and ``_dynamic_routes``; ``Route.openapi_path`` is ``path`` with ``<p>`` → ``{p}``.
    """
    from leadrouter.api.app import create_app

    app = create_app()
    registered = [*getattr(app, "_static_routes", []), *getattr(app, "_dynamic_routes", [])]
    routes = {(str(r.method).upper(), str(r.openapi_path)) for r in registered}
    # Guard against a Powertools upgrade renaming the attributes: an empty set would pass vacuously.
    assert routes >= PUBLIC_ROUTES, f"could not read the resolver's routes (found {sorted(routes)})"
    return routes


def _event_routes() -> list[tuple[str, str]]:
    return [(str(p["Method"]).upper(), str(p["Path"])) for p in API_EVENTS.values()]


def test_every_route_the_api_serves_has_exactly_one_api_event_and_vice_versa():
    # Given the routes of the resolver and the Api events of ApiFunction
    served = _app_routes()
    events = _event_routes()

    # Then no route is declared twice ...
    assert sorted(events) == sorted(set(events)), "duplicate Api events for one route"
    # ... every served route is reachable through API Gateway ...
    missing = served - set(events)
    assert not missing, f"routes the app serves but template.yaml does not route: {sorted(missing)}"
    # ... and API Gateway routes nothing the app does not serve
    extra = set(events) - served
    assert not extra, f"Api events with no route in the app: {sorted(extra)}"


def test_only_the_api_function_has_api_events_and_all_go_to_the_one_api():
    # An Api event without RestApiId would land on SAM's implicit API, which has no authorizer.
    assert [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Api"] == ["Api"]
    for lid, fn in functions(TEMPLATE).items():
        api_events = [e for e in fn["events"].values() if e["type"] == "Api"]
        if lid != "ApiFunction":
            assert not api_events, lid
    for name, props in API_EVENTS.items():
        assert props["RestApiId"] == {"Ref": "Api"}, name


def test_only_intake_and_the_docs_are_unauthenticated():
    # Given each event's authorizer (absent = the Api's default)
    public = {
        (str(p["Method"]).upper(), str(p["Path"]))
        for p in API_EVENTS.values()
        if (p.get("Auth") or {}).get("Authorizer") == "NONE"
    }
    overridden = {
        name: p["Auth"]["Authorizer"]
        for name, p in API_EVENTS.items()
        if (p.get("Auth") or {}).get("Authorizer") not in (None, "NONE")
    }

    # Then exactly the public routes opt out, and only the operator's routes swap in IAM
    assert public == PUBLIC_ROUTES
    assert overridden == {"PostOperatorTenants": "AWS_IAM"}
    assert {
        (str(API_EVENTS[n]["Method"]).upper(), str(API_EVENTS[n]["Path"])) for n in overridden
    } == OPERATOR_ROUTES
    assert not any("ApiKeyRequired" in (p.get("Auth") or {}) for p in API_EVENTS.values())


def test_the_api_defaults_to_the_cognito_authorizer_of_this_stacks_user_pool():
    auth = API["Auth"]
    assert auth["DefaultAuthorizer"] == "CognitoAuth"
    assert set(auth["Authorizers"]) == {"CognitoAuth"}
    assert auth["Authorizers"]["CognitoAuth"]["UserPoolArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    # CORS preflights (OPTIONS) carry no token: they must not need one
    assert auth["AddDefaultAuthorizerToCorsPreflight"] is False
    assert API["StageName"] == {"Ref": "Stage"}


def test_one_parameter_turns_tracing_on_for_the_stage_and_every_function_and_it_ships_off() -> None:
    # Given the template's Tracing parameter (traces are the largest cost per lead when sampled as default)
    parameter = TEMPLATE["Parameters"]["Tracing"]
    assert parameter["Default"] == "PassThrough"
    assert set(parameter["AllowedValues"]) == {"Active", "PassThrough"}
    # Then every function and the API stage follow it, and nothing sets its own
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    assert TEMPLATE["Conditions"]["TracingOn"] == {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]}
    assert API["TracingEnabled"] == {"Fn::If": ["TracingOn", True, False]}
    functions = [r for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions and not [f for f in functions if "Tracing" in f["Properties"]]


def test_api_gateway_path_parameters_agree_at_each_level():
    # API Gateway rejects sibling resources with different parameter names (/leads/{id}, /leads/{lead_id})
    seen: dict[tuple[str, ...], set[str]] = {}
    for _, path in _event_routes():
        segments = path.strip("/").split("/")
        for depth, segment in enumerate(segments):
            if segment.startswith("{"):
                parent = tuple("{}" if s.startswith("{") else s for s in segments[:depth])
                seen.setdefault(parent, set()).add(segment)
    assert {parent: names for parent, names in seen.items() if len(names) > 1} == {}


def test_the_user_pool_keeps_tenant_and_role_out_of_users_hands():
    # Given the pool's custom attributes and the web client
    pool = RESOURCES["UserPool"]["Properties"]
    client = RESOURCES["UserPoolClient"]["Properties"]
    schema = {attr["Name"]: attr for attr in pool["Schema"]}

    # Then every claim the API reads exists (Cognito prefixes custom attributes with custom:) ...
    assert {f"custom:{name}" for name in schema} >= AUTHORISING_ATTRIBUTES
    assert all(
        schema[name]["AttributeDataType"] == "String" for name in ("tenant_id", "role", "staff_id", "team")
    )
    # ... the tenant is fixed when the user is created, and only admins create users ...
    assert schema["tenant_id"]["Mutable"] is False
    assert all(schema[name]["Mutable"] is True for name in ("role", "staff_id", "team"))
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # ... the client is public (no secret), SRP + refresh only ...
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    # ... it can read the claims but write none of them
    assert set(client["ReadAttributes"]) >= AUTHORISING_ATTRIBUTES
    assert not set(client["WriteAttributes"]) & AUTHORISING_ATTRIBUTES
    assert {"custom:tenant_id", "custom:role"}.isdisjoint(client["WriteAttributes"])


def test_the_auth_code_reads_only_claims_the_user_pool_defines():
    # Given the claim names leadrouter.api.auth looks up
    source = (REPO_ROOT / "shared" / "leadrouter" / "api" / "auth.py").read_text(encoding="utf-8")
    claims = set(re.findall(r"[\"'](custom:\w+)[\"']", source))

    # Then each one is a custom attribute of the pool that users cannot write
    assert claims, "no custom: claims found in auth.py"
    assert claims <= AUTHORISING_ATTRIBUTES


def test_cors_matches_the_app_and_covers_api_gateway_errors():
    from leadrouter.api.auth import FORM_KEY_HEADER
    from leadrouter.api.routes.intake import IDEMPOTENCY_HEADER

    # Given one origin feeding API Gateway and the function: the console's own, unless AllowedOrigins
    # names another
    cors = API["Cors"]
    console = "https://${ConsoleDistribution.DomainName}"
    quoted = {"Fn::Sub": f"'{console}'"}, {"Fn::Sub": "'${AllowedOrigins}'"}
    origin = {"Fn::If": ["AdminOriginIsConsole", *quoted]}
    assert TEMPLATE["Conditions"]["AdminOriginIsConsole"] == {"Fn::Equals": [{"Ref": "AllowedOrigins"}, ""]}
    assert TEMPLATE["Parameters"]["AllowedOrigins"]["Default"] == ""
    assert cors["AllowOrigin"] == origin
    assert API_FUNCTION["Environment"]["Variables"]["ALLOWED_ORIGINS"] == {
        "Fn::If": ["AdminOriginIsConsole", {"Fn::Sub": console}, {"Ref": "AllowedOrigins"}]
    }

    # Then preflights allow the headers the API reads ...
    allowed = {h.strip().lower() for h in cors["AllowHeaders"].strip("'").split(",")}
    assert {"content-type", "authorization", FORM_KEY_HEADER, IDEMPOTENCY_HEADER} <= allowed
    methods = set(cors["AllowMethods"].strip("'").split(","))
    assert {m for m, _ in _event_routes()} <= methods
    # ... and API Gateway's own 4xx/5xx (authorizer 401, throttling 429, ...) are readable by a browser
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = API["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == origin
        assert headers["Access-Control-Allow-Headers"] == cors["AllowHeaders"]


def test_the_stage_writes_json_access_logs_without_contact_data():
    access = API["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(access["Format"])
    assert "$context.requestId" in fields.values()
    # No body, query string or header variable: those could carry a phone number or an email
    assert not [v for v in fields.values() if re.search(r"input\.|requestOverride|querystring|header", v)]


def test_the_api_function_fits_api_gateways_timeout():
    assert API_FUNCTION["CodeUri"] == "functions/api/"
    assert API_FUNCTION["Handler"] == "app.handler"
    assert int(API_FUNCTION["Timeout"]) <= 29


def _statements(policies: Any) -> list[dict[str, Any]]:
    return [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_key(resource: Any) -> str:
    """``!GetAtt T.Arn`` → ``T``; ``!Sub ${T.Arn}/index/x`` → ``T/index/x``."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        lid, attribute = resource["Fn::GetAtt"]
        assert attribute == "Arn", resource
        return str(lid)
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return re.sub(r"\$\{(\w+)\.Arn\}", r"\1", str(resource["Fn::Sub"]))
    raise AssertionError(f"unexpected policy resource {resource!r}")


def test_the_api_function_gets_exactly_the_dynamodb_actions_it_uses():
    # Given what the API's code paths call (leadrouter.data.repository).
    # TransactWriteItems has no IAM action of its own: each Put/Update/ConditionCheck in a transaction
    # is authorised as PutItem/UpdateItem/ConditionCheckItem on its table (intake claims contacts in
    # the config table, edits write the lead and its history event together).
    expected = {
        "LeadsTable": {"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "ConditionCheckItem", "Query"},
        "LeadsTable/index/due_queue": {"Query"},
        "LeadsTable/index/owner_idle": {"Query"},
        "ConfigTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "Query"},
        "EventsTable": {"PutItem", "Query", "UpdateItem"},  # an erasure rewrites history texts
        "SubmissionsTable": {"GetItem", "PutItem", "UpdateItem", "Query"},
        "DeliveriesTable": {"Query"},  # a webhook's delivery log
        "WebhookDeliveryQueue": {"sqs:SendMessage"},  # a webhook's test event
        "LeadFetchQueue": {"sqs:SendMessage"},  # a Meta delivery, stored, waits there for its lead
        "IntakeOverflowQueue": {"sqs:SendMessage"},  # a screened submission whose writes were throttled
        "ExportQueue": {"sqs:SendMessage"},  # POST /leads/exports queues the export
        "ImportQueue": {"sqs:SendMessage"},  # POST /imports/{id}/uploaded, /check, /start, /resume
        "SecretsKey": {"kms:Encrypt", "kms:Decrypt"},  # seal secrets; open CAPTCHA ones (test_secrets_*)
        # /users and POST /operator/tenants (leadrouter.data.identity); RESEND is an AdminCreateUser
        "UserPool": {
            *("cognito-idp:AdminCreateUser", "cognito-idp:AdminUpdateUserAttributes"),
            *("cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser"),
            *("cognito-idp:AdminGetUser", "cognito-idp:ListUsers"),
        },
        # The signer of presigned uploads (PutObject) and downloads (GetObject) of tenants' files, which
        # also reads an upload's size (HeadObject); ListBucket so a key not yet uploaded is a 404
        # (an erasure deletes the files holding the person, and keeps its receipt under erasures/)
        "FilesBucket/imports/*": {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
        "FilesBucket/exports/*": {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
        "FilesBucket/erasures/*": {"s3:PutObject", "s3:GetObject"},
        "FilesBucket": {"s3:ListBucket"},
    }

    # When the inline statements are folded per resource
    policies = API_FUNCTION["Policies"]
    assert all(isinstance(p, dict) and set(p) == {"Statement"} for p in policies), "inline statements only"
    granted: dict[str, set[str]] = {}
    for statement in _statements(policies):
        assert statement["Effect"] == "Allow"
        for resource in _as_list(statement["Resource"]):
            for action in _as_list(statement["Action"]):
                service, _, name = str(action).partition(":")
                assert service in ("dynamodb", "sqs", "kms", "cognito-idp", "s3"), action
                granted.setdefault(_resource_key(resource), set()).add(
                    name if service == "dynamodb" else action
                )

    # Then it is exactly that: nothing missing (a transaction would fail), nothing more
    assert granted == expected


def _grants(lid: str) -> dict[str, set[str]]:
    """A function's inline statements folded per resource: ``T`` or ``T/index/x`` → its actions."""
    policies = FUNCTIONS[lid]["Properties"]["Policies"]
    assert all(isinstance(p, dict) and set(p) == {"Statement"} for p in policies), "inline statements only"
    granted: dict[str, set[str]] = {}
    for statement in _statements(policies):
        actions = [str(a) for a in _as_list(statement["Action"])]
        # only KMS statements are conditioned (on the purpose: test_secrets_template checks them)
        assert statement["Effect"] == "Allow" and (
            "Condition" not in statement or all(a.startswith("kms:") for a in actions)
        )
        for resource in _as_list(statement["Resource"]):
            for action in _as_list(statement["Action"]):
                granted.setdefault(_resource_key(resource), set()).add(str(action))
    return granted


def test_the_export_worker_reads_listings_writes_its_record_and_puts_only_export_files():
    # Given what make_export calls: the requester's listing (the key range, or an owner's index and its
    # base items), the record (read, rewritten), the tenant and its staff, and Files.put under exports/
    assert _grants("LeadExportFunction") == {
        "LeadsTable": {"dynamodb:Query", "dynamodb:BatchGetItem"},
        "LeadsTable/index/owner_idle": {"dynamodb:Query"},
        "ConfigTable": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
        "FilesBucket/exports/*": {"s3:PutObject"},
    }
    # And it runs one export per invocation, a few at a time, retried then dead-lettered
    props = FUNCTIONS["LeadExportFunction"]["Properties"]
    (trigger,) = props["Events"].values()
    assert trigger["Type"] == "SQS" and trigger["Properties"]["Queue"] == {
        "Fn::GetAtt": ["ExportQueue", "Arn"]
    }
    assert trigger["Properties"]["BatchSize"] == 1
    assert trigger["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert trigger["Properties"]["ScalingConfig"]["MaximumConcurrency"] == 2
    queue = RESOURCES["ExportQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * int(props["Timeout"])
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ExportDeadLetterQueue", "Arn"]}
    assert props["Environment"]["Variables"]["FILES_BUCKET"] == {"Ref": "FilesBucket"}


def test_the_intake_overflow_drain_writes_as_intake_does_from_an_encrypted_queue_with_a_dlq():
    # Given what take_overflowed calls: the record (stored, read back, finished), intake's lead writes
    # (a conditional put, a known lead's resubmission, its history event), the source and pool settings
    # and contact claims; nothing else (no KMS: the door screened it; no SQS call of its own)
    assert _grants("IntakeOverflowFunction") == {
        "SubmissionsTable": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        "LeadsTable": {
            *("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"),
            *("dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"),
        },
        "ConfigTable": {
            *("dynamodb:GetItem", "dynamodb:PutItem"),
            *("dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"),
            "dynamodb:BatchGetItem",  # the archived notice versions a form's consent boxes showed
        },
        "EventsTable": {"dynamodb:PutItem"},
        "IntakeOverflowQueue": {"sqs:ChangeMessageVisibility"},  # a throttled one back in seconds
    }
    # And batches with partial failures (a throttled one comes back alone), at a bounded concurrency
    props = FUNCTIONS["IntakeOverflowFunction"]["Properties"]
    (trigger,) = props["Events"].values()
    assert trigger["Type"] == "SQS"
    assert trigger["Properties"]["Queue"] == {"Fn::GetAtt": ["IntakeOverflowQueue", "Arn"]}
    assert trigger["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= trigger["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= 25
    # And the queue (personal data) is encrypted, kept with the stack's data, and dead-letters
    for lid in ("IntakeOverflowQueue", "IntakeOverflowDeadLetterQueue"):
        assert RESOURCES[lid]["Properties"]["SqsManagedSseEnabled"] is True
        assert RESOURCES[lid]["DeletionPolicy"] == RESOURCES[lid]["UpdateReplacePolicy"] == "Retain"
    queue = RESOURCES["IntakeOverflowQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * int(props["Timeout"])
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["IntakeOverflowDeadLetterQueue", "Arn"]
    }
    # And the API knows where to queue
    assert API_FUNCTION["Environment"]["Variables"]["INTAKE_OVERFLOW_QUEUE_URL"] == {
        "Ref": "IntakeOverflowQueue"
    }


def test_no_policy_in_the_template_allows_a_scan_or_a_wildcard_dynamodb_action():
    # Every IAM statement anywhere: function policies and plain roles alike
    actions = [
        str(action)
        for value in _walk(TEMPLATE["Resources"])
        if isinstance(value, dict) and isinstance(value.get("Statement"), list)
        for statement in value["Statement"]
        if isinstance(statement, dict)
        for action in _as_list(statement.get("Action", []))
    ]
    assert actions
    assert not [a for a in actions if fnmatch.fnmatchcase("dynamodb:Scan", a)], "Scan (or a wildcard) allowed"
    assert not [a for a in actions if a.startswith("dynamodb:") and "*" in a]
    assert "dynamodb:Scan" not in TEMPLATE_PATH.read_text(encoding="utf-8")
    # SAM's DynamoDB policy templates all include Scan
    templates = {k for v in _walk(TEMPLATE["Resources"]) if isinstance(v, dict) for k in v}
    assert not {t for t in templates if t.startswith("DynamoDB") and t.endswith("Policy")}


def test_the_import_worker_writes_leads_as_intake_does_and_touches_only_import_files():
    # Given what the import stages call: intake's lead writes (a conditional put, a known lead's
    # resubmission, a kept owner's assignment: a transaction with its history event), the record and
    # its chunk markers (a transaction), the source, rules, staff and pools, and Files under imports/
    assert _grants("ImportFunction") == {
        "LeadsTable": {
            *("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"),
            *("dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"),
        },
        "ConfigTable": {
            *("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            *("dynamodb:ConditionCheckItem", "dynamodb:Query"),
            # the rows' contacts on the suppression list, and a suppression lifted
            *("dynamodb:BatchGetItem", "dynamodb:DeleteItem"),
        },
        "SecretsKey": {"kms:Decrypt"},  # the contact pepper only (test_secrets_template)
        "EventsTable": {"dynamodb:PutItem"},
        "FilesBucket/imports/*": {"s3:GetObject", "s3:PutObject"},
        "FilesBucket": {"s3:ListBucket"},  # an absent file is a 404, not a 403
        "ImportQueue": {"sqs:SendMessage"},  # its own fan-out, nothing else
    }
    # And one message per invocation, two at a time (the load bound), retried then dead-lettered
    props = FUNCTIONS["ImportFunction"]["Properties"]
    (trigger,) = props["Events"].values()
    assert trigger["Type"] == "SQS"
    assert trigger["Properties"]["Queue"] == {"Fn::GetAtt": ["ImportQueue", "Arn"]}
    assert trigger["Properties"]["BatchSize"] == 1
    assert trigger["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert trigger["Properties"]["ScalingConfig"]["MaximumConcurrency"] == 2
    queue = RESOURCES["ImportQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * int(props["Timeout"])
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ImportDeadLetterQueue", "Arn"]}
    variables = props["Environment"]["Variables"]
    assert variables["IMPORT_QUEUE_URL"] == {"Ref": "ImportQueue"}
    assert variables["FILES_BUCKET"] == {"Ref": "FilesBucket"}
    assert float(variables["IMPORT_ROWS_PER_SECOND"]) * 2 * 4 < 1000  # ≈ WRU/s of one partition's 1,000


def test_the_stack_exports_the_api_url_and_the_user_pool():
    outputs = TEMPLATE["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"
    }
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}


# ---------------------------------------------------------------------------------------------- users
def test_no_user_can_write_any_custom_attribute_of_their_own():
    # Given the web client users sign in with
    client = RESOURCES["UserPoolClient"]["Properties"]
    # Then it writes no custom attribute at all (a future custom:* authorising attribute stays admin-only)
    assert client["WriteAttributes"], "an absent WriteAttributes lets users write every attribute"
    assert not [a for a in client["WriteAttributes"] if str(a).startswith("custom:")]


def test_the_operator_route_is_iam_signed_and_invoked_with_the_functions_own_permission():
    [props] = [p for p in API_EVENTS.values() if p["Path"] == "/operator/tenants"]
    # AWS_IAM: API Gateway checks the SigV4 signature; InvokeRole NONE: without it SAM makes API Gateway
    # invoke the function with the caller's credentials (arn:aws:iam::*:user/*), which the operator lacks
    assert props["Auth"] == {"Authorizer": "AWS_IAM", "InvokeRole": "NONE"}
    assert str(props["Method"]).upper() == "POST"


def test_the_api_function_knows_the_user_pool():
    assert API_FUNCTION["Environment"]["Variables"]["USER_POOL_ID"] == {"Ref": "UserPool"}


def test_the_invitation_is_cognitos_in_vietnamese_with_the_username_and_temporary_password():
    template = RESOURCES["UserPool"]["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]
    message, subject = template["EmailMessage"], template["EmailSubject"]
    # Cognito refuses a template without both placeholders
    assert "{username}" in message and "{####}" in message
    assert "Lời mời" in subject and "Mật khẩu tạm thời" in message
    assert len(subject) <= 140 and len(message) <= 20_000
