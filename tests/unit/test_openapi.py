"""docs/openapi.json: committed, current, describing only routes that are served, and what the API serves."""

from __future__ import annotations

import json
from typing import Any

from leadrouter.api.app import create_app
from leadrouter_local.openapi import SPEC_PATH, render
from leadrouter_local.template import functions, load_template
from tests.support.api import call, event

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
    # ... and every documented route is documented (only the docs routes themselves are left out)
    assert served - documented == {("GET", "/openapi.json"), ("GET", "/swagger")}


def test_get_openapi_json_serves_the_committed_document():
    # Given the Lambda handler; When /openapi.json is fetched (no token: it is public)
    reply = call(event("GET", "/openapi.json"))

    # Then it is the committed spec
    assert reply.status == 200
    assert reply.body == _committed()
    assert reply.body == json.loads(render())
