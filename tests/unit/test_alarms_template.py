"""template.yaml's operations: every queue, function and stream consumer has its alarms, every alarm
notifies the alarm topic, every asynchronously invoked function has a failure destination, every
function has a log group with the retention parameter, and the edge (WAF, concurrency, Cognito) holds.

The lists of queues and functions come from the template itself, so a new one without alarms fails here.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from leadrouter.domain.bodies import MAX_BODY_BYTES
from leadrouter_local.template import TEMPLATE_PATH, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
SHARED = TEMPLATE_PATH.parent / "shared"

#: What every alarm's AlarmActions and OKActions must be: the topic parameter, or the stack's own topic.
TOPIC = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
#: Event types through which Lambda is invoked asynchronously (its retries, not the source's, apply).
ASYNC_EVENTS = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "S3", "SNS", "IoTRule"}
ACCOUNT_CONCURRENCY = 1000  # Lambda's default regional limit
UNRESERVED_MINIMUM = 100  # what Lambda keeps unreserved whatever the reservations


def _of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == type_name}


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in _of_type(template, "AWS::CloudWatch::Alarm").items()}


def _default(value: Any) -> Any:
    """A literal, or the default of the parameter it refers to."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in PARAMETERS:
        return PARAMETERS[value["Ref"]]["Default"]
    return value


def _dimension(alarm: dict[str, Any], name: str) -> Any:
    return next((d["Value"] for d in alarm.get("Dimensions", []) if d["Name"] == name), None)


def _of_function(template: dict[str, Any], lid: str, metric: str) -> list[dict[str, Any]]:
    return [
        a
        for a in _alarms(template).values()
        if a.get("Namespace") == "AWS/Lambda"
        and a.get("MetricName") == metric
        and _dimension(a, "FunctionName") == {"Ref": lid}
    ]


def _of_queue(template: dict[str, Any], lid: str) -> list[dict[str, Any]]:
    return [
        a
        for a in _alarms(template).values()
        if a.get("Namespace") == "AWS/SQS"
        and _dimension(a, "QueueName") == {"Fn::GetAtt": [lid, "QueueName"]}
    ]


def _arn_target(value: Any) -> str | None:
    if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
        return str(value["Fn::GetAtt"][0])
    return None


def _dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Queues that receive what failed: redrive targets, dead-letter configs, on-failure destinations."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "deadLetterTargetArn" or (key in ("DeadLetterConfig", "OnFailure")):
                    target = _arn_target(item) or _arn_target(
                        item.get("Arn") or item.get("Destination") if isinstance(item, dict) else None
                    )
                    if target:
                        found.add(target)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(template["Resources"])
    return found & set(_of_type(template, "AWS::SQS::Queue"))


def _timeout(template: dict[str, Any], lid: str) -> int:
    props = template["Resources"][lid]["Properties"]
    return int(props.get("Timeout", template.get("Globals", {}).get("Function", {}).get("Timeout", 3)))


# ------------------------------------------------------------------ the checks, on any template


def queues_without_alarms(template: dict[str, Any]) -> list[str]:
    """Every queue needs an alarm; a dead-letter queue, one on any visible message."""
    problems = []
    dead = _dead_letter_queues(template)
    for lid in _of_type(template, "AWS::SQS::Queue"):
        alarms = _of_queue(template, lid)
        if not alarms:
            problems.append(f"{lid}: no alarm")
        elif lid in dead and not any(
            a["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and _default(a["Threshold"]) == 0
            and a["ComparisonOperator"] == "GreaterThanThreshold"
            for a in alarms
        ):
            problems.append(f"{lid}: a dead-letter queue without a depth > 0 alarm")
    return problems


def functions_without_alarms(template: dict[str, Any]) -> list[str]:
    """Every function needs Errors, Throttles and a Duration alarm below its timeout."""
    problems = []
    for lid in _of_type(template, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles", "Duration"):
            if not _of_function(template, lid, metric):
                problems.append(f"{lid}: no {metric} alarm")
        timeout_ms = _timeout(template, lid) * 1000
        for alarm in _of_function(template, lid, "Duration"):
            if not 0 < float(_default(alarm["Threshold"])) < timeout_ms:
                problems.append(f"{lid}: Duration threshold {alarm['Threshold']} not below {timeout_ms} ms")
    return problems


def alarms_without_the_topic(template: dict[str, Any]) -> list[str]:
    return [
        lid
        for lid, alarm in _alarms(template).items()
        if alarm.get("AlarmActions") != [TOPIC] or alarm.get("OKActions") != [TOPIC]
    ]


def _async_functions(template: dict[str, Any]) -> set[str]:
    """Functions some source invokes asynchronously: async event types, or a rule's or schedule's target."""
    functions = _of_type(template, "AWS::Serverless::Function")
    found = {
        lid
        for lid, fn in functions.items()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] in ASYNC_EVENTS
    }
    targets = [
        t["Arn"] for r in _of_type(template, "AWS::Events::Rule").values() for t in r["Properties"]["Targets"]
    ]
    targets += [
        s["Properties"]["Target"]["Arn"] for s in _of_type(template, "AWS::Scheduler::Schedule").values()
    ]
    return found | {lid for lid in map(_arn_target, targets) if lid in functions}


def async_functions_without_failure_destination(template: dict[str, Any]) -> list[str]:
    problems = []
    alarmed_dlqs = {
        lid
        for lid in _dead_letter_queues(template)
        if any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" for a in _of_queue(template, lid))
    }
    for lid in sorted(_async_functions(template)):
        config = template["Resources"][lid]["Properties"].get("EventInvokeConfig") or {}
        on_failure = (config.get("DestinationConfig") or {}).get("OnFailure") or {}
        if "MaximumRetryAttempts" not in config or "MaximumEventAgeInSeconds" not in config:
            problems.append(f"{lid}: no retry attempts or maximum event age")
        if on_failure.get("Type") != "SQS" or _arn_target(on_failure.get("Destination")) not in alarmed_dlqs:
            problems.append(f"{lid}: no on-failure destination to an alarmed dead-letter queue")
    return problems


def functions_without_log_groups(template: dict[str, Any]) -> list[str]:
    problems = []
    groups = _of_type(template, "AWS::Logs::LogGroup")
    for lid, fn in _of_type(template, "AWS::Serverless::Function").items():
        group = (fn["Properties"].get("LoggingConfig") or {}).get("LogGroup")
        if not (isinstance(group, dict) and group.get("Ref") in groups):
            problems.append(f"{lid}: its LoggingConfig names no log group of the template")
    for lid, group in groups.items():
        if group["Properties"].get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
            problems.append(f"{lid}: retention is not LogRetentionDays")
    return problems


# ------------------------------------------------------------------ the template as it is


def test_there_are_queues_functions_and_dead_letter_queues_to_check() -> None:
    assert len(_of_type(TEMPLATE, "AWS::SQS::Queue")) >= 20
    assert len(_of_type(TEMPLATE, "AWS::Serverless::Function")) >= 11
    assert {"SchedulerDeadLetterQueue", "StreamDeadLetterQueue", "DispatchInvokeDeadLetterQueue"} <= (
        _dead_letter_queues(TEMPLATE)
    )


def test_every_queue_has_an_alarm_and_every_dead_letter_queue_one_on_its_first_message() -> None:
    assert queues_without_alarms(TEMPLATE) == []


def test_every_function_has_errors_throttles_and_duration_alarms_below_its_timeout() -> None:
    assert functions_without_alarms(TEMPLATE) == []


def test_every_alarm_notifies_the_topic_parameter_or_the_stacks_own_topic() -> None:
    assert alarms_without_the_topic(TEMPLATE) == []
    # An empty parameter (the default) makes the stack's own topic, which CloudWatch may publish to
    assert PARAMETERS["AlarmTopicArn"]["Default"] == ""
    assert TEMPLATE["Conditions"]["CreateAlarmTopic"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    topic = RESOURCES["AlarmTopic"]
    assert topic["Condition"] == "CreateAlarmTopic"
    (statement,) = RESOURCES["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    # …without the AWS-managed SNS key, whose policy would keep CloudWatch out
    assert "KmsMasterKeyId" not in topic.get("Properties", {})
    assert TEMPLATE["Outputs"]["AlarmTopicArn"]["Value"] == TOPIC


def test_every_asynchronously_invoked_function_retries_briefly_then_dead_letters_to_an_alarmed_queue() -> (
    None
):
    assert _async_functions(TEMPLATE) >= {"DispatchFunction"}
    assert async_functions_without_failure_destination(TEMPLATE) == []
    config = RESOURCES["DispatchFunction"]["Properties"]["EventInvokeConfig"]
    # A tick is worth its minute: one retry within three minutes, then the queue
    assert config["MaximumRetryAttempts"] <= 1 and 60 <= config["MaximumEventAgeInSeconds"] <= 300


def test_every_function_logs_to_its_own_group_kept_the_retention_parameter() -> None:
    assert functions_without_log_groups(TEMPLATE) == []
    assert PARAMETERS["LogRetentionDays"]["Default"] == 30
    assert RESOURCES["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ------------------------------------------------------------------ the checks can fail


def _with_new(kind: str) -> dict[str, Any]:
    template = copy.deepcopy(TEMPLATE)
    if kind == "function":
        template["Resources"]["NewFunction"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/new/",
                "Handler": "app.handler",
                "Events": {
                    "Nightly": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 day)"}}
                },
            },
        }
    else:
        template["Resources"]["NewDeadLetterQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
        template["Resources"]["NewQueue"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["NewDeadLetterQueue", "Arn"]},
                    "maxReceiveCount": 3,
                }
            },
        }
    return template


def test_a_new_function_without_alarms_log_group_or_failure_destination_is_reported() -> None:
    template = _with_new("function")
    assert functions_without_alarms(template) == [
        "NewFunction: no Errors alarm",
        "NewFunction: no Throttles alarm",
        "NewFunction: no Duration alarm",
    ]
    assert functions_without_log_groups(template) == [
        "NewFunction: its LoggingConfig names no log group of the template"
    ]
    assert len(async_functions_without_failure_destination(template)) == 2


def test_a_new_queue_and_its_dead_letter_queue_without_alarms_are_reported() -> None:
    assert sorted(queues_without_alarms(_with_new("queue"))) == [
        "NewDeadLetterQueue: no alarm",
        "NewQueue: no alarm",
    ]


def test_a_duration_alarm_at_the_timeout_and_an_alarm_without_the_topic_are_reported() -> None:
    template = copy.deepcopy(TEMPLATE)
    alarm = _of_function(template, "ApiFunction", "Duration")[0]
    alarm["Threshold"] = _timeout(template, "ApiFunction") * 1000
    del alarm["OKActions"]
    assert functions_without_alarms(template) == [
        f"ApiFunction: Duration threshold {alarm['Threshold']} not below 29000 ms"
    ]
    assert alarms_without_the_topic(template) == ["ApiDurationAlarm"]


# ------------------------------------------------------------------ the signals the issue names


def _app_alarms() -> dict[str, dict[str, Any]]:
    return {lid: a for lid, a in _alarms(TEMPLATE).items() if a.get("Namespace") == "LeadRouter"}


def _emitted_metric_names() -> set[str]:
    """Every metric name the code emits: the literals of ``add_metric``/``single_metric``'s name."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in SHARED.rglob("*.py"))
    expressions = re.findall(r"(?:add_metric|single_metric)\(\s*name=([^,]+),", source)
    return {name for expression in expressions for name in re.findall(r"\"(\w+)\"", expression)}


def test_every_application_alarm_reads_a_metric_the_code_emits_with_its_dimensions() -> None:
    emitted = _emitted_metric_names()
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    for lid, alarm in _app_alarms().items():
        assert alarm["MetricName"] in emitted, lid
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == alarm["Namespace"]
        assert _dimension(alarm, "service") == env["POWERTOOLS_SERVICE_NAME"], lid


@pytest.mark.parametrize(
    ("metric", "parameter"),
    [
        ("LeadsEscalated", "LeadsEscalatedPer5Minutes"),
        ("LeadsWaiting", "LeadsWaitingPerRule"),
        ("RulesFailed", "RulesFailedPer5Minutes"),
        ("LeadsQuarantined", "LeadsQuarantinedPer5Minutes"),
        ("SubmissionsRejected", "FormRejectionsPer5Minutes"),
        ("SubmissionsFailed", "FormFailuresPer5Minutes"),
    ],
)
def test_the_routing_and_form_door_signals_alarm_above_a_parameter(metric: str, parameter: str) -> None:
    (alarm,) = [a for a in _app_alarms().values() if a["MetricName"] == metric]
    assert alarm["Threshold"] == {"Ref": parameter} and parameter in PARAMETERS
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"  # no datapoint: nothing happened


def _schedule_actions() -> set[str]:
    actions = set()
    for fn in _of_type(TEMPLATE, "AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "ScheduleV2":
                raw = re.sub(r"<aws\.scheduler\.[\w-]+>", "x", event["Properties"]["Input"])
                payload = json.loads(raw)
                if "action" in payload:  # the routing ticks (the daily privacy alert has a "kind")
                    actions.add(payload["action"])
    return actions


def test_a_tick_that_did_not_run_for_5_minutes_alarms_for_every_scheduled_action() -> None:
    ticks = {_dimension(a, "action"): a for a in _app_alarms().values() if a["MetricName"] == "TicksStarted"}
    assert set(ticks) == _schedule_actions() == {"assign", "reclaim"}
    for alarm in ticks.values():
        # No datapoint is the failure itself: missing data breaches, within 5 one-minute periods
        assert alarm["TreatMissingData"] == "breaching"
        assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
        assert alarm["Period"] * alarm["EvaluationPeriods"] <= 300
        assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"]


def test_every_stream_consumer_has_an_iterator_age_alarm() -> None:
    consumers = {
        lid
        for lid, fn in _of_type(TEMPLATE, "AWS::Serverless::Function").items()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] in ("DynamoDB", "Kinesis")
    }
    assert consumers == {"AssignFunction", "PublishFunction", "LeadExpiryFunction"}
    for lid in consumers:
        (alarm,) = _of_function(TEMPLATE, lid, "IteratorAge")
        assert alarm["Statistic"] == "Maximum" and 0 < alarm["Threshold"] <= 300_000


def test_the_api_stage_alarms_on_its_5xx_rate_and_p99_latency_by_its_own_name_and_stage() -> None:
    api = RESOURCES["Api"]["Properties"]
    dims = [{"Name": "ApiName", "Value": api["Name"]}, {"Name": "Stage", "Value": api["StageName"]}]
    errors = RESOURCES["ApiServerErrorsAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"] for m in errors["Metrics"] if "MetricStat" in m}
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"5XXError", "Count"}
    assert all(s["Metric"]["Dimensions"] == dims for s in stats.values())
    (rate,) = [m for m in errors["Metrics"] if m.get("ReturnData")]
    assert "100 * errors / requests" in rate["Expression"]
    assert errors["Threshold"] == {"Ref": "ApiServerErrorPercent"}
    latency = RESOURCES["ApiLatencyAlarm"]["Properties"]
    assert latency["MetricName"] == "Latency" and latency["ExtendedStatistic"] == "p99"
    assert latency["Dimensions"] == dims and latency["Threshold"] == {"Ref": "ApiLatencyP99Milliseconds"}
    assert _default(latency["Threshold"]) < 29000  # below API Gateway's own timeout


def test_the_dashboard_is_json_showing_the_split_speed_intake_webhooks_and_every_alarm() -> None:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed = json.loads(body)  # ${...} sit inside JSON strings, so the body parses as it is
    metrics = {m[1] for w in parsed["widgets"] for m in w["properties"].get("metrics", []) if len(m) > 1}
    assert {"LeadsAssigned", "SpeedToLead", "LeadsReceived", "WebhookDelivered", "TicksStarted"} <= metrics
    assert metrics & {"LeadsEscalated", "LeadsWaiting", "RulesFailed", "LeadsQuarantined"} == {
        "LeadsEscalated",
        "LeadsWaiting",
        "RulesFailed",
        "LeadsQuarantined",
    }
    (alarm_widget,) = [w for w in parsed["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(
        f"${{{lid}.Arn}}" for lid in _alarms(TEMPLATE)
    )
    assert len(alarm_widget["properties"]["alarms"]) <= 100  # an alarm widget's limit
    # Every ${Name} or ${Name.Attr} it substitutes exists in the template
    for ref in re.findall(r"\$\{([\w:.]+)\}", body):
        name = ref.split(".")[0]
        assert ref.startswith("AWS::") or name in RESOURCES or name in PARAMETERS, ref


# ------------------------------------------------------------------ the edge and the limits


def _web_acl() -> dict[str, Any]:
    ((_, acl),) = _of_type(TEMPLATE, "AWS::WAFv2::WebACL").items()
    return dict(acl["Properties"])


def test_the_web_acl_runs_awss_common_and_known_bad_inputs_rule_sets() -> None:
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in _web_acl()["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(groups) == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    for rule in groups.values():
        assert rule["OverrideAction"] == {"None": {}}  # the group's own block actions apply
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    # The common set's 8 KB body limit only counts: forms and rules may send up to the API's 64 KiB
    overrides = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert overrides["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]
    # …and the rate rules come first, so a flood is answered 429 before any rule set is paid for
    by_priority = sorted(_web_acl()["Rules"], key=lambda r: r["Priority"])
    assert [r["Name"] for r in by_priority[:2]] == ["public-door-per-ip", "api-per-ip"]


def test_the_size_rule_blocks_what_the_api_would_refuse_and_waf_reads_that_far() -> None:
    (rule,) = [r for r in _web_acl()["Rules"] if r["Name"] == "oversize-request"]
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413
    sizes = {
        next(iter(s["SizeConstraintStatement"]["FieldToMatch"])): s["SizeConstraintStatement"]
        for s in rule["Statement"]["OrStatement"]["Statements"]
    }
    body = sizes["Body"]
    assert body["ComparisonOperator"] == "GT" and body["Size"] == MAX_BODY_BYTES
    assert body["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    limit = _web_acl()["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"]
    assert int(limit.removeprefix("KB_")) * 1024 >= MAX_BODY_BYTES
    assert {"UriPath", "QueryString"} <= set(sizes)


def test_the_api_reserves_concurrency_leaving_the_sweeps_and_workers_theirs() -> None:
    props = RESOURCES["ApiFunction"]["Properties"]
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveApiConcurrency", {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    reserved = int(PARAMETERS["ApiReservedConcurrency"]["Default"])
    # The queue workers' ceilings (SQS event sources' MaximumConcurrency) at their defaults, plus the
    # stream's consumers (one per shard, a handful) and the dispatch tick: all fit in what is left
    workers = sum(
        int(_default(event["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency", 0)))
        for fn in _of_type(TEMPLATE, "AWS::Serverless::Function").values()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS"
    )
    assert workers > 0
    assert reserved >= 100  # a flood's share: ApiThrottleRate's default at ~100 ms a request
    assert reserved + workers + UNRESERVED_MINIMUM <= ACCOUNT_CONCURRENCY


def test_a_changed_email_counts_only_once_verified() -> None:
    pool = RESOURCES["UserPool"]["Properties"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert "email" in pool["AutoVerifiedAttributes"]


def test_the_operations_guide_lists_every_alarm() -> None:
    guide = (TEMPLATE_PATH.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    names = [a["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-") for a in _alarms(TEMPLATE).values()]
    assert [n for n in names if f"`{n}`" not in guide] == []


def test_the_checkov_skip_list_is_the_guides_table_of_findings_that_stay() -> None:
    root = TEMPLATE_PATH.parent
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    (skips,) = re.findall(r"^CHECKOV_SKIP := (.+)$", makefile, flags=re.MULTILINE)
    guide = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    table = guide[guide.index("## checkov") :]
    listed = re.findall(r"^\| (CKV2?_AWS_\d+) \|", table, flags=re.MULTILINE)
    assert sorted(skips.split(",")) == sorted(listed)
    assert len(listed) == len(set(listed))
