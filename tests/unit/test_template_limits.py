"""template.yaml's limits: a stage throttle sized for the whole service with no smaller
bucket one client can empty for every tenant, and WAF rate rules per IP on the public routes and on the
whole API, associated with the API's stage."""

from __future__ import annotations

from typing import Any

from leadrouter_local.template import load_template, ttl_attribute

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
API: dict[str, Any] = RESOURCES["Api"]["Properties"]
PUBLIC_ROUTES = ("/f/", "/intake/leads")


def _value(value: Any) -> int:
    """A number in the template, or the default of the parameter it refers to."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return int(PARAMETERS[value["Ref"]]["Default"])
    return int(value)


def _of_type(type_name: str) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in RESOURCES.items() if r["Type"] == type_name}


def _rules() -> dict[str, dict[str, Any]]:
    (acl,) = _of_type("AWS::WAFv2::WebACL").values()
    return {rule["Name"]: rule for rule in acl["Rules"]}


def _scoped_paths(statement: dict[str, Any]) -> set[tuple[str, str]]:
    """The (match, text) URI-path conditions of a scope-down statement (an Or of byte matches)."""
    found: set[tuple[str, str]] = set()
    for part in statement.get("OrStatement", {}).get("Statements", [statement]):
        match = part["ByteMatchStatement"]
        assert match["FieldToMatch"] == {"UriPath": {}}
        found.add((match["PositionalConstraint"], match["SearchString"]))
    return found


def test_the_stage_throttle_is_sized_for_the_service_with_no_smaller_bucket_on_any_route():
    settings = API["MethodSettings"]
    # Given the stage's default method setting: the one throttle every caller shares
    (default,) = [s for s in settings if (s["ResourcePath"], s["HttpMethod"]) == ("/*", "*")]
    rate, burst = _value(default["ThrottlingRateLimit"]), _value(default["ThrottlingBurstLimit"])
    # Then it is sized for the whole service, not one form: 1,000 requests/s (a burst of 2,000)
    assert rate >= 1000 and burst >= rate
    # …and no route has a stricter bucket of its own (one client at 11/s stopped every tenant's forms)
    narrower = [s["ResourcePath"] for s in settings if s is not default and "ThrottlingRateLimit" in s]
    assert narrower == []


def test_a_waf_rule_limits_each_ip_on_the_public_routes_below_what_the_stage_admits():
    rule = _rules()["public-door-per-ip"]
    rate_based = rule["Statement"]["RateBasedStatement"]
    # Then it counts per client IP, per minute, only the two public routes
    assert rate_based["AggregateKeyType"] == "IP" and rate_based["EvaluationWindowSec"] == 60
    assert _scoped_paths(rate_based["ScopeDownStatement"]) == {
        ("CONTAINS", "/f/"),
        ("ENDS_WITH", "/intake/leads"),
    }
    # …blocks with a 429 the form's script can read, and a Retry-After
    response = rule["Action"]["Block"]["CustomResponse"]
    headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
    assert response["ResponseCode"] == 429 and int(headers["Retry-After"]) >= 60
    assert "Access-Control-Allow-Origin" in headers
    # …and one IP at its limit uses a sliver of one method's stage throttle
    (default,) = [s for s in API["MethodSettings"] if s["ResourcePath"] == "/*"]
    limit = _value(rate_based["Limit"])
    assert limit >= 10  # WAF's smallest
    assert limit / 60 * 100 <= _value(default["ThrottlingRateLimit"])


def test_a_waf_rule_limits_each_ip_on_the_whole_api():
    rate_based = _rules()["api-per-ip"]["Statement"]["RateBasedStatement"]
    assert rate_based["AggregateKeyType"] == "IP" and "ScopeDownStatement" not in rate_based
    (default,) = [s for s in API["MethodSettings"] if s["ResourcePath"] == "/*"]
    per_ip_per_second = _value(rate_based["Limit"]) / rate_based["EvaluationWindowSec"]
    assert per_ip_per_second * 20 <= _value(default["ThrottlingRateLimit"])


def test_the_web_acl_is_regional_and_associated_with_the_api_stage():
    ((lid, acl),) = _of_type("AWS::WAFv2::WebACL").items()
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (association,) = _of_type("AWS::WAFv2::WebACLAssociation").values()
    assert association["WebACLArn"] == {"Fn::GetAtt": [lid, "Arn"]}
    arn = association["ResourceArn"]["Fn::Sub"]
    assert arn.endswith("::/restapis/${Api}/stages/${Api.Stage}") and arn.startswith(
        "arn:${AWS::Partition}:apigateway:"
    )


def test_the_sources_window_counters_expire_through_the_config_tables_ttl():
    assert ttl_attribute(TEMPLATE, "ConfigTable") == "expires_at"
