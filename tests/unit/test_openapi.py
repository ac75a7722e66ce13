"""docs/openapi.json: committed, current, describing only routes that are served, and what the API serves."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from leadrouter.api.app import create_app
from leadrouter.api.contract import EXAMPLES
from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from leadrouter_local.openapi import SPEC_PATH, render
from leadrouter_local.template import functions, load_template
from tests.support.api import FORM_KEY, add_form_source, call, event
from tests.support.builders import TENANT, rule, seed

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _committed() -> dict[str, Any]:
    assert SPEC_PATH.is_file(), "docs/openapi.json is missing: run make openapi"
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_the_committed_spec_is_current():
    # Given the committed file; When the spec is rendered from the code
    committed = SPEC_PATH.read_text(encoding="utf-8") if SPEC_PATH.is_file() else None

    # Then they are byte for byte the same
    assert committed == render(), "docs/openapi.json is stale: run make openapi"


def test_rendering_is_deterministic():
    assert render() == render()
    assert render().endswith("}\n")


def test_every_path_in_the_spec_is_served_by_the_app_and_routed_by_the_template():
    # Given the operations the spec documents
    documented = _operations(_committed())
    assert ("POST", "/intake/leads") in documented

    # When they are compared with the resolver's routes and the template's Api events
    app = create_app()
    served = {(r.method.upper(), r.openapi_path) for r in [*app._static_routes, *app._dynamic_routes]}
    routed = {
        (str(e["properties"]["Method"]).upper(), str(e["properties"]["Path"]))
        for e in functions(load_template())["ApiFunction"]["events"].values()
        if e["type"] == "Api"
    }

    # Then nothing is documented that a caller could not reach
    assert documented <= served, sorted(documented - served)
    assert documented <= routed, sorted(documented - routed)
    # ... and every route is documented but the docs routes themselves, what only browsers ask for
    # (the icon, and the form doors' CORS preflights) and the operator's IAM-signed route
    assert served - documented == {
        ("POST", "/operator/tenants"),
        ("GET", "/openapi.json"),
        ("GET", "/swagger"),
        ("GET", "/favicon.ico"),
        ("OPTIONS", "/intake/leads"),
        ("OPTIONS", "/f/{form_key}"),
    }


def test_get_openapi_json_serves_the_committed_document():
    # Given the Lambda handler; When /openapi.json is fetched (no token: it is public)
    reply = call(event("GET", "/openapi.json"))

    # Then it is the committed spec
    assert reply.status == 200
    assert reply.body == _committed()
    assert reply.body == json.loads(render())


# ------------------------------------------------------------------ the contract
def _each_operation(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_bearer_tokens_everywhere_except_intake_which_takes_a_form_key() -> None:
    # Given the committed contract
    document = _committed()
    schemes = document["components"]["securitySchemes"]
    # Then a Cognito JWT is the default and the form key is an apiKey header
    assert schemes["cognito"] == {
        **schemes["cognito"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["formKey"] == {
        **schemes["formKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Form-Key",
    }
    assert document["security"] == [{"cognito": []}]
    overridden = {(m, p): op["security"] for m, p, op in _each_operation(document) if "security" in op}
    # (the door's own route carries its key in the path; the thank-you page needs nothing; a server may
    # add the source's secret to either door, to be answered with the lead)
    assert schemes["sourceSecret"] == {
        **schemes["sourceSecret"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Source-Secret",
    }
    assert overridden == {
        ("post", "/intake/leads"): [{"formKey": []}, {"formKey": [], "sourceSecret": []}],
        ("post", "/f/{form_key}"): [{}, {"sourceSecret": []}],
        ("post", "/hooks/{form_key}"): [],
        ("get", "/hooks/{form_key}"): [],
        ("get", "/thanks"): [],
    }


def test_intake_documents_its_optional_idempotency_key_header() -> None:
    intake = _committed()["paths"]["/intake/leads"]["post"]
    (header,) = [p for p in intake["parameters"] if p["in"] == "header"]
    assert header["name"].lower() == "idempotency-key" and header["required"] is False
    assert {"type": "string", "minLength": 1, "maxLength": 128} in header["schema"]["anyOf"]


def test_every_operation_documents_its_error_statuses_with_the_error_body_it_sends() -> None:
    document = _committed()
    expected = {
        ("get", "/leads/{lead_id}"): {"401", "403", "404", "422", "429"},
        ("patch", "/leads/{lead_id}"): {"401", "403", "404", "409", "413", "415", "422", "429"},
        ("post", "/intake/leads"): {"400", "401", "403", "413", "415", "422", "429", "503"},
        ("post", "/f/{form_key}"): {"400", "401", "403", "413", "415", "422", "429", "503"},
        ("delete", "/rules/{rule_id}"): {"401", "403", "404", "422", "429"},
        ("get", "/intake/submissions/{submission_id}"): {"401", "403", "404", "422", "429"},
        ("post", "/intake/submissions/{submission_id}/replay"): {
            *("401", "403", "404", "409", "413", "415", "422", "429"),  # a body: release_unverified
        },
        ("patch", "/form-sources/{source_id}"): {"401", "403", "404", "409", "413", "415", "422", "429"},
        ("post", "/rules/preview"): {"401", "403", "413", "415", "422", "429"},
        ("get", "/rules"): {"401", "403", "422", "429"},
    }
    for method, path, operation in _each_operation(document):
        errors = {status for status in operation["responses"] if status >= "400"}
        if (method, path) == ("get", "/thanks"):  # a static page: nothing to refuse
            assert errors == set()
            continue
        if (method, path) in expected:
            assert errors == expected[(method, path)], (method, path)
        assert {"401", "422", "429"} <= errors, (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= errors, (method, path)
        for status in errors:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    # Powertools' own {"detail": [...]} body is not what this API sends, so it is not in the contract
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])


def test_a_missing_resource_answers_a_status_its_operation_documents(
    moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every bodiless operation on one resource, called by an admin for an id that does not exist
    monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", "https://sqs.ap-southeast-1.amazonaws.com/1/deliveries")
    document = _committed()
    admin = {"sub": "u", "custom:tenant_id": TENANT, "custom:role": "admin"}
    called = []
    for method, path, operation in _each_operation(document):
        if "{" not in path or "requestBody" in operation or path.startswith("/f/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "nope", path)
        # When it is called
        reply = call(event(method.upper(), concrete, claims=admin))
        called.append((method, path))
        # Then what it answers is in its contract (a missing submission is a documented 404, say)
        assert str(reply.status) in operation["responses"], (method, path, reply.status, reply.body)
    assert ("get", "/intake/submissions/{submission_id}") in called and len(called) >= 12


def _conforms_to_error(body: Any) -> bool:
    """The Error schema, checked by hand: a message, and optionally a list of {field, message}."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return False
    return all(
        isinstance(e.get("field"), str) and isinstance(e.get("message"), str) for e in body.get("errors", [])
    )


def test_the_error_bodies_the_api_sends_conform_to_the_error_schema(moto_tables: dict[str, str]) -> None:
    # Given a caller that gets each kind of error
    staff = {"sub": "u", "custom:tenant_id": "acme", "custom:role": "staff", "custom:staff_id": "A"}
    admin = {**staff, "custom:role": "admin"}
    replies = {
        401: call(event("GET", "/leads")),
        403: call(event("GET", "/rules", claims=staff)),
        404: call(event("GET", "/rules/nope", claims=admin)),
        413: call(event("POST", "/rules", raw_body="x" * 70_000, claims=admin)),
        415: call(
            event("POST", "/rules", raw_body="{}", claims=admin, headers={"Content-Type": "text/plain"})
        ),
        422: call(event("GET", "/leads?limit=0", claims=admin)),
    }
    # Then each answers its status with a body the contract describes
    for status, reply in replies.items():
        assert reply.status == status, (status, reply.body)
        assert _conforms_to_error(reply.body), (status, reply.body)
    assert _committed()["components"]["schemas"]["Error"]["required"] == ["message"]


def test_a_204_is_documented_without_a_body() -> None:
    deleted = _committed()["paths"]["/rules/{rule_id}"]["delete"]["responses"]["204"]
    assert "content" not in deleted


def _unbounded(schema: dict[str, Any], where: str, schemas: dict[str, Any], seen: set[str]) -> list[str]:
    """Every array, map, string and integer reachable from a request schema that has no upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(schemas[name], name, schemas, seen | {name})
    found = [
        f
        for key in ("anyOf", "oneOf", "allOf")
        for s in schema.get(key, [])
        for f in _unbounded(s, where, schemas, seen)
    ]
    kind = schema.get("type")
    if kind == "array":
        found += [] if "maxItems" in schema else [f"{where}: array without maxItems"]
        found += _unbounded(schema.get("items", {}), f"{where}[]", schemas, seen)
    elif kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            found += [] if "maxProperties" in schema else [f"{where}: map without maxProperties"]
            found += [] if "maxLength" in schema.get("propertyNames", {}) else [f"{where}: unbounded keys"]
            found += _unbounded(values, f"{where}{{}}", schemas, seen)
        for name, value in schema.get("properties", {}).items():
            found += _unbounded(value, f"{where}.{name}", schemas, seen)
    elif kind == "integer" and not ({"minimum", "maximum"} <= set(schema) or "enum" in schema):
        found.append(f"{where}: integer without both bounds")
    elif kind == "string" and not ({"maxLength", "enum", "format", "const"} & set(schema)):
        found.append(f"{where}: string without maxLength")
    return found


def test_every_request_array_map_string_and_integer_is_bounded() -> None:
    # Given every request body and parameter the contract declares
    document = _committed()
    schemas = document["components"]["schemas"]
    unbounded: list[str] = []
    for method, path, operation in _each_operation(document):
        for parameter in operation.get("parameters", []):
            unbounded += _unbounded(
                parameter["schema"], f"{method} {path} {parameter['name']}", schemas, set()
            )
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            unbounded += _unbounded(body["schema"], f"{method} {path} body", schemas, set())
    # Then nothing a caller sends is unbounded (DynamoDB numbers stop at 38 digits, items at 400 KB)
    assert unbounded == []


def _fetched_through(full_path: str, resource_path: str) -> dict[str, Any]:
    ev = event("GET", resource_path)
    ev["requestContext"] |= {"path": full_path, "stage": "Prod"}
    return ev


@pytest.mark.parametrize(
    ("full_path", "server"),
    [
        ("/Prod/openapi.json", "/Prod"),  # the stage's own URL
        ("/api/v1/openapi.json", "/api/v1"),  # a custom domain's base-path mapping
        ("/openapi.json", "/"),  # a custom domain mapped at its root, or make run
    ],
)
def test_the_served_contract_names_the_url_it_was_fetched_through(full_path: str, server: str) -> None:
    reply = call(_fetched_through(full_path, "/openapi.json"))
    assert reply.status == 200 and reply.body["servers"] == [{"url": server}]
    # ...and everything else is the committed contract
    assert {**reply.body, "servers": [{"url": "/"}]} == _committed()


def test_swagger_from_the_stage_calls_the_stage_with_the_completed_contract() -> None:
    # Given Swagger UI fetched from /Prod/swagger
    reply = call(_fetched_through("/Prod/swagger", "/swagger"))
    assert reply.status == 200 and reply.body.startswith("<!DOCTYPE html>")
    # Then its inlined spec is the contract with the stage's server, so "Try it out" calls /Prod/...
    html: str = reply.body
    spec = json.loads(html.split("spec: ", 1)[1].split(",\n    presets:", 1)[0].replace("<\\/", "</"))
    assert spec["servers"] == [{"url": "/Prod"}]
    assert {**spec, "servers": [{"url": "/"}]} == _committed()
    # ...and ?format=json serves the same document
    as_json = call(_fetched_through("/Prod/swagger", "/swagger?format=json"))
    assert as_json.body == spec


def test_the_request_examples_work_on_the_demo_tenant(moto_tables: dict[str, str]) -> None:
    # Given a tenant like make run's demo one (staff A, B, C; a form source on pool web)
    repo = new_repository()
    seed(repo, rule(weights={"A": 3, "B": 4, "C": 5}))
    add_form_source(repo)
    admin = {"sub": "u", "custom:tenant_id": TENANT, "custom:role": "admin"}
    # When each documented example is sent as it stands (what Swagger's "Try it out" pre-fills)
    for (method, path), example in EXAMPLES.items():
        ev = event(method.upper(), path.replace("{campaign}", "T%E1%BA%BFt%202027"), example, claims=admin)
        if path == "/intake/leads":
            ev = event("POST", path, example, headers={"X-Form-Key": FORM_KEY})
        # Then it is accepted
        reply = call(ev)
        assert 200 <= reply.status < 300, (method, path, reply.body)


def test_created_resources_link_to_the_routes_behind_their_id() -> None:
    links = _committed()["paths"]["/intake/leads"]["post"]["responses"]["201"]["links"]
    assert {link["parameters"]["lead_id"] for link in links.values()} == {"$response.body#/lead_id"}
    operation_ids = {op["operationId"] for _, _, op in _each_operation(_committed())}
    assert {link["operationId"] for link in links.values()} <= operation_ids and len(links) == 6


def test_every_time_zone_and_country_the_spec_lists_is_taken(moto_repo: Repository) -> None:
    # Given the enums the contract documents for a member's time zone and a calendar's country
    schemas = _committed()["components"]["schemas"]
    zones = schemas["StaffCreate"]["properties"]["time_zone"]["enum"]
    countries = schemas["HolidaysIn"]["properties"]["country"]["anyOf"][0]["enum"]
    assert "Asia/Ho_Chi_Minh" in zones and "VN" in countries
    admin = {"sub": "u", "custom:tenant_id": TENANT, "custom:role": "admin"}
    # When each is sent
    for zone in zones:
        reply = call(event("POST", "/staff", {"name": "An", "time_zone": zone}, claims=admin))
        # Then it is taken
        assert reply.status == 201, (zone, reply.body)
    for country in countries:
        reply = call(event("PUT", "/holidays", {"country": country}, claims=admin))
        assert reply.status == 200, (country, reply.body)
