"""Inputs that crashed the function are 4xx naming the field.

Every case here reached a 500 (an unhandled exception: a 502 on AWS), a DynamoDB ValidationException or
a stored value the model refuses to read back on the foundation commit. Each now answers a 4xx that names
the offending field, and writes nothing.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import ADMIN, CRM, add_form_source, call, call_as, claims, event
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.ticks import run_sweeps

FORM = CRM  # the key and the source secret: answers name the lead
STAFF_A = claims("staff", staff_id="A")
LEASE = timedelta(minutes=3)
TET = "Tết 2027"
LONG_ID = "L" * 1025  # over DynamoDB's 1,024-byte sort-key limit


def _everything(tables: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table but the submissions (a test may Scan): for 'nothing was written'.

    The form door stores every submission first, refused ones included (``_submission_statuses``), and
    counts every post against its source's rate limit (``LIMIT#`` counters).
    """
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    return {
        name: sorted(
            (
                i
                for i in client.scan(TableName=name)["Items"]
                if not i.get("pk", {}).get("S", "").startswith("LIMIT#")
            ),
            key=lambda i: json.dumps(i, sort_keys=True),
        )
        for lid, name in tables.items()
        if lid != "SubmissionsTable"
    }


def _submission_statuses(tables: dict[str, str]) -> list[str]:
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    return [i["status"]["S"] for i in client.scan(TableName=tables["SubmissionsTable"])["Items"]]


def _fields(reply: Any) -> set[str]:
    return {e["field"] for e in reply.body.get("errors", [])}


def _cursor(data: Any) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def team(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> Repository:
    """Staff A and B under a pool rule, a form source; the API's clock just after the leads arrive."""
    monkeypatch.setattr("leadrouter.api.context.clock", lambda: NOW + timedelta(minutes=5))
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_form_source(moto_repo)
    return moto_repo


# ------------------------------------------------------------------ path parameters
_RULE = {
    "rule_id": "r-tet",
    "name": "Chiến dịch Tết",
    "kind": "weighted",
    "scope": {"campaign": TET},
    "staff": [{"staff_id": "A", "weight": 1}, {"staff_id": "B", "weight": 2}],
}
LEAD_ROUTES = [
    ("GET", "/leads/{}", None),
    ("PATCH", "/leads/{}", {"name": "An"}),
    ("DELETE", "/leads/{}", None),
    ("POST", "/leads/{}/activities", {"kind": "note", "text": "hi"}),
    ("POST", "/leads/{}/assignees", {"staff_ids": ["A"]}),
    ("POST", "/leads/{}/step", {"step": "new"}),
]


@pytest.mark.parametrize(("method", "path", "body"), LEAD_ROUTES)
def test_a_lead_id_over_1024_bytes_is_a_422_naming_lead_id_and_writes_nothing(
    team: Repository, moto_tables: dict[str, str], method: str, path: str, body: Any
) -> None:
    # Given a tenant with leads
    add_leads(team, 2)
    before = _everything(moto_tables)
    # When a lead route is called with an id DynamoDB would refuse as a key
    reply = call_as(method, path.format(LONG_ID), body)
    # Then it is refused like a bad body field, before anything reaches DynamoDB
    assert reply.status == 422, reply.body
    assert _fields(reply) == {"lead_id"}
    assert _everything(moto_tables) == before


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/rules/{}", "rule_id"),
        ("POST", "/rules/{}/enable", "rule_id"),
        ("DELETE", "/rules/{}", "rule_id"),
        ("GET", "/staff/{}", "staff_id"),
        ("PATCH", "/staff/{}", "staff_id"),
    ],
)
@pytest.mark.parametrize("bad_id", [LONG_ID, "a%20b", "tết"])
def test_rule_and_staff_ids_in_the_path_are_validated_too(
    team: Repository, moto_tables: dict[str, str], method: str, path: str, field: str, bad_id: str
) -> None:
    before = _everything(moto_tables)
    reply = call_as(method, path.format(bad_id), {"name": "An"} if method == "PATCH" else None)
    assert reply.status == 422 and _fields(reply) == {field}
    assert _everything(moto_tables) == before


# as typed (a test event), as API Gateway passes it on (percent-encoded), decomposed with two spaces
@pytest.mark.parametrize("spelling", [TET, quote(TET), quote("Te\u0302\u0301t  2027")])
def test_a_vietnamese_campaign_works_end_to_end_raw_or_percent_encoded(
    team: Repository, spelling: str
) -> None:
    # Given leads and a campaign rule for "Tết 2027", created through the API
    leads = add_leads(team, 6)
    created = call_as("POST", "/rules", _RULE)
    assert created.status == 201, created.body
    ids = [x.lead_id for x in leads]
    # When the mass update names the campaign in the path, as typed or as API Gateway passes it on
    reply = call_as("POST", f"/campaigns/{spelling}/leads", {"lead_ids": ids})
    # Then the campaign stored is the label itself (NFC, one space), never its percent-encoding
    assert reply.status == 200, reply.body
    assert reply.body["campaign"] == TET and reply.body["updated"] == 6
    assert {team.get_lead(TENANT, i).campaign for i in ids} == {TET}  # type: ignore[union-attr]
    # ...the listing filters on it and every lead still reads back
    listed = call_as("GET", f"/leads?campaign={quote(TET)}")
    assert listed.status == 200 and {x["lead"]["lead_id"] for x in listed.body["items"]} == set(ids)
    for lead_id in ids:
        assert call_as("GET", f"/leads/{lead_id}").status == 200
    # ...the campaign rule splits them 1:2
    run_sweeps(team, "assign", sweep_due_leads, NOW + timedelta(hours=1), LEASE)
    assert Counter(team.get_lead(TENANT, i).owner for i in ids) == {"A": 2, "B": 4}  # type: ignore[union-attr]
    # ...and the report covering them works
    period = (
        f"received_from={to_iso(NOW - timedelta(hours=1))}&received_to={to_iso(NOW + timedelta(hours=1))}"
    )
    report = call_as("GET", f"/reports/distribution?{period}")
    assert report.status == 200, report.body
    assert {r["rule_id"]: r["assigned"] for r in report.body["rules"]}["r-tet"] == 6


@pytest.mark.parametrize(
    "spelling",
    [
        "T%25E1%25BA%25BFt",  # encoded twice: decodes to a '%', which a label refuses
        "a%2Fb",  # a '/' inside the segment
        "a%23b",  # '#', the key separator
        "%E1%BA",  # not UTF-8 once decoded
        "%00x",  # NUL
        "%E2%80%8B",  # zero-width only
        "x" * 65,
    ],
)
def test_a_campaign_the_model_could_not_read_back_is_refused_in_the_path(
    team: Repository, moto_tables: dict[str, str], spelling: str
) -> None:
    # Given a lead; When it is put into a campaign whose decoded name is not a label
    (lead,) = add_leads(team, 1)
    before = _everything(moto_tables)
    reply = call_as("POST", f"/campaigns/{spelling}/leads", {"lead_ids": [lead.lead_id]})
    # Then the path parameter is named and nothing is stored that would wedge the tenant
    assert reply.status == 422 and _fields(reply) == {"campaign"}, reply.body
    assert _everything(moto_tables) == before
    assert call_as("GET", "/leads").status == 200


def test_a_vietnamese_pool_name_in_the_path_is_decoded(team: Repository) -> None:
    reply = call_as("PUT", f"/pools/{quote('Kho Tết')}", {"on_duplicate": "rotate"})
    assert reply.status == 200 and reply.body["pool"] == "Kho Tết"
    assert call_as("GET", "/pools/Kho Tết").body["on_duplicate"] == "rotate"
    assert call_as("GET", "/pools/Kho%2FT%E1%BA%BFt").status == 422


@pytest.mark.parametrize("name", ["pool", "step", "campaign"])
def test_label_filters_on_the_listing_take_vietnamese_and_refuse_what_no_label_is(
    team: Repository, name: str
) -> None:
    assert call_as("GET", f"/leads?{name}={quote('Kho Tết')}").status == 200
    bad = call_as("GET", f"/leads?{name}={quote('a#b')}")
    assert bad.status == 422 and _fields(bad) == {name}


# ------------------------------------------------------------------ periods
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("received_from=2026-11-02T00:00:00Z&received_to=2026-11-01T00:00:00Z", "received_to"),
        ("received_from=2026-11-01T00:00:00", "received_from"),  # no time zone: whose midnight?
        ("received_to=9999-12-31T23:59:59-23:59", "received_to"),
        ("received_from=0001-01-01T00:00:00%2B14:00", "received_from"),
    ],
)
def test_a_period_the_listing_cannot_mean_is_a_422_naming_it(
    team: Repository, query: str, field: str
) -> None:
    reply = call_as("GET", f"/leads?{query}")
    assert reply.status == 422 and _fields(reply) == {field}, reply.body


def test_the_report_refuses_an_impossible_period_too(team: Repository) -> None:
    reply = call_as(
        "GET", "/reports/distribution?received_from=0001-01-01T00:00:00Z&received_to=2026-01-01T00:00:00Z"
    )
    assert reply.status == 422 and _fields(reply) == {"received_from"}


# ------------------------------------------------------------------ cursors
FORGED_CURSORS = {
    "not base64": "!!!not-base64!!!",
    "not JSON": _cursor("{tenant_id: acme"),
    "a JSON array": _cursor([{"S": TENANT}, {"S": "L1"}]),
    "another tenant": _cursor({"tenant_id": "globex", "lead_id": "L01a20b4809004065135ae4af2ced"}),
    # raw DynamoDB keys (what the foundation's cursors were), which it passed on if the tenant matched
    "a raw key": _cursor({"tenant_id": {"S": TENANT}, "lead_id": {"S": "L1"}}),
    "a raw key without lead_id": _cursor({"tenant_id": {"S": TENANT}}),
    "a raw key with a number": _cursor({"tenant_id": {"S": TENANT}, "lead_id": {"N": "1"}}),
    "a raw key with extra attributes": _cursor(
        {"tenant_id": {"S": TENANT}, "lead_id": {"S": "L1"}, "owner_key": {"S": "acme#A"}}
    ),
    "a raw key over 1,024 bytes": _cursor({"tenant_id": {"S": TENANT}, "lead_id": {"S": "L" * 1025}}),
    # our own shape, forged
    "missing keys": _cursor({"tenant_id": TENANT}),
    "extra keys": _cursor({"tenant_id": TENANT, "lead_id": "L1", "pk": "TENANT#globex"}),
    "wrong types": _cursor({"tenant_id": TENANT, "lead_id": 1}),
    "an owner-index cursor": _cursor(
        {"tenant_id": TENANT, "lead_id": "L1", "idle_since": "2026-11-24T02:00:00.000000Z"}
    ),
    "over-long values": _cursor({"tenant_id": TENANT, "lead_id": "L" * 300}),
    "not ASCII": "Tết",
    "a lead id outside every listing": _cursor({"tenant_id": TENANT, "lead_id": "A1"}),
    "outside the period": _cursor({"tenant_id": TENANT, "lead_id": "L0000000000000"}),
    "a bad idle_since": _cursor({"tenant_id": TENANT, "lead_id": "L1", "idle_since": "yesterday"}),
}


TEAM_LEAD = claims("team_lead", staff_id="T", team="red")
#: A staff member's own listing runs on the owner index, where an owner-index position is a real one.
FOR_STAFF = {k: v for k, v in FORGED_CURSORS.items() if k != "an owner-index cursor"}


@pytest.mark.parametrize("forged", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
@pytest.mark.parametrize("who", [ADMIN, TEAM_LEAD], ids=["admin", "team lead"])
def test_a_forged_or_foreign_cursor_is_a_422_naming_cursor(team: Repository, forged: str, who: Any) -> None:
    # Given any authenticated user; When they list with a cursor this API never gave them
    reply = call_as("GET", f"/leads?cursor={quote(forged)}&received_from={quote(to_iso(NOW))}", who=who)
    # Then the cursor is named and nothing of it reached DynamoDB
    assert reply.status == 422 and _fields(reply) == {"cursor"}, reply.body


@pytest.mark.parametrize("forged", FOR_STAFF.values(), ids=FOR_STAFF.keys())
def test_a_forged_cursor_is_refused_on_a_staff_members_own_listing_too(team: Repository, forged: str) -> None:
    reply = call_as("GET", f"/leads?cursor={quote(forged)}", who=STAFF_A)
    assert reply.status == 422 and _fields(reply) == {"cursor"}, reply.body


def test_a_tenant_cursor_on_an_owner_listing_is_refused(team: Repository) -> None:
    cursor = _cursor({"tenant_id": TENANT, "lead_id": "L1"})
    reply = call_as("GET", f"/leads?assignee=A&cursor={quote(cursor)}")
    assert reply.status == 422 and _fields(reply) == {"cursor"}


@pytest.mark.parametrize("query", ["", "assignee=A&"])
def test_the_cursors_the_api_returns_page_through_every_lead_once(team: Repository, query: str) -> None:
    # Given 7 leads (assigned to A when the listing is A's)
    leads = add_leads(team, 7)
    if query:
        for x in leads:
            call_as("POST", f"/leads/{x.lead_id}/assignees", {"staff_ids": ["A"]})
    # When they are listed 3 at a time, following the cursor
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        page = call_as("GET", f"/leads?{query}limit=3" + (f"&cursor={quote(cursor)}" if cursor else ""))
        assert page.status == 200, page.body
        seen += [x["lead"]["lead_id"] for x in page.body["items"]]
        cursor = page.body["cursor"]
        if cursor is None:
            break
        # the cursor is our own small model: tenant and position, nothing DynamoDB-shaped
        position = json.loads(base64.urlsafe_b64decode(cursor))
        assert set(position) <= {"tenant_id", "lead_id", "idle_since"}
        assert all(isinstance(v, str) for v in position.values())
    # Then every lead is seen exactly once
    assert sorted(seen) == sorted(x.lead_id for x in leads)


# ------------------------------------------------------------------ numbers
@pytest.mark.parametrize(
    ("method", "path", "raw", "field"),
    [
        ("POST", "/rules", '{"priority": 1e39}', "priority"),
        ("POST", "/rules/preview", '{"count": 1' + "0" * 39 + "}", "body"),
        ("POST", "/staff", '{"name": "An", "max_open_leads": 1' + "0" * 30 + "}", "max_open_leads"),
        ("PATCH", "/staff/A", '{"max_leads_per_day": 1' + "0" * 30 + "}", "max_leads_per_day"),
        ("PUT", "/rules/r-web", '{"expected_version": 1' + "0" * 30 + "}", "expected_version"),
        ("POST", "/rules", '{"priority": 1' + "0" * 5000 + "}", "body"),  # past Python's 4,300 digits
        ("POST", "/rules", '{"priority": NaN}', "body"),
        ("POST", "/rules", '{"priority": -Infinity}', "body"),
    ],
)
def test_numbers_past_dynamodbs_38_digits_are_a_422(
    team: Repository, moto_tables: dict[str, str], method: str, path: str, raw: str, field: str
) -> None:
    before = _everything(moto_tables)
    reply = call_as(method, path, raw_body=raw)
    assert reply.status == 422 and field in _fields(reply), reply.body
    assert _everything(moto_tables) == before


def test_a_huge_integer_where_no_number_belongs_is_a_422_on_the_public_route(
    team: Repository, moto_tables: dict[str, str]
) -> None:
    before = _everything(moto_tables)
    raw = '{"name": "An", "phone": "0912345678", "fields": {"n": 1' + "0" * 4500 + "}}"
    reply = call_as("POST", "/intake/leads", who=None, headers=FORM, raw_body=raw)
    assert reply.status == 422 and _fields(reply) == {"body"}, reply.body
    assert _everything(moto_tables) == before
    assert _submission_statuses(moto_tables) == ["rejected"]  # stored first, as malformed


# ------------------------------------------------------------------ deep JSON, bytes, media types
@pytest.mark.parametrize("depth", [33, 5_000, 30_000])
def test_json_nested_deeper_than_32_levels_is_refused_before_parsing(
    team: Repository, moto_tables: dict[str, str], depth: int
) -> None:
    # Given the public form key; When a body nests thousands of levels deep
    before = _everything(moto_tables)
    raw = '{"name": "An", "phone": "0912345678", "fields": ' + "[" * depth + "]" * depth + "}"
    reply = call_as("POST", "/intake/leads", who=None, headers=FORM, raw_body=raw)
    # Then it is a 422 on the body (the parser would have recursed into a RecursionError)
    assert reply.status == 422 and _fields(reply) == {"body"}, reply.body
    assert "not valid JSON" in reply.body["errors"][0]["message"]
    assert _everything(moto_tables) == before


def test_brackets_inside_strings_do_not_count_as_nesting(team: Repository) -> None:
    reply = call_as(
        "POST",
        "/intake/leads",
        {"name": "An [[[[" * 20, "phone": "0912345678", "fields": {"note": "{" * 900}},
        who=None,
        headers=FORM,
    )
    assert reply.status == 201, reply.body


@pytest.mark.parametrize(
    "body",
    [
        {"raw_body": base64.b64encode(b'{"name": "\xff\xfe"}').decode(), "b64": True},
        {"raw_body": "not base64 at all!", "b64": True},
        {"raw_body": '{"name": "\udcff"}', "b64": False},  # a lone surrogate: no UTF-8 exists for it
    ],
    ids=["latin-1 bytes", "broken base64", "lone surrogate"],
)
def test_a_body_that_is_not_utf8_is_a_400_at_the_door(
    team: Repository, moto_tables: dict[str, str], body: Any
) -> None:
    before = _everything(moto_tables)
    ev = event("POST", "/intake/leads", raw_body=body["raw_body"], headers=FORM)
    ev["isBase64Encoded"] = body["b64"]
    reply = call(ev)
    assert reply.status == 400 and _fields(reply) == {"body"}, reply.body
    assert _everything(moto_tables) == before


def test_a_base64_utf8_json_body_is_read_like_text(team: Repository) -> None:
    ev = event(
        "POST",
        "/intake/leads",
        raw_body=base64.b64encode('{"name": "Tết", "phone": "0912345678"}'.encode()).decode(),
        headers=FORM,
    )
    ev["isBase64Encoded"] = True
    assert call(ev).status == 201


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
@pytest.mark.parametrize(("method", "path", "who"), [("POST", "/rules", ADMIN)])
def test_a_json_route_refuses_another_media_type_with_415(
    team: Repository, moto_tables: dict[str, str], content_type: str, method: str, path: str, who: Any
) -> None:
    before = _everything(moto_tables)
    reply = call_as(
        method,
        path,
        {"name": "An", "phone": "0912345678"},
        who=who,
        headers={**FORM, "Content-Type": content_type},
    )
    assert reply.status == 415 and _fields(reply) == {"body"}, reply.body
    assert _everything(moto_tables) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json; charset=latin-1", "application/jsonx"]
)
def test_the_door_refuses_media_types_it_does_not_read_with_415(
    team: Repository, moto_tables: dict[str, str], content_type: str
) -> None:
    before = _everything(moto_tables)
    reply = call_as(
        "POST",
        "/intake/leads",
        {"name": "An", "phone": "0912345678"},
        who=None,
        headers={**FORM, "Content-Type": content_type},
    )
    assert reply.status == 415 and _fields(reply) == {"body"}, reply.body
    assert _everything(moto_tables) == before
    assert _submission_statuses(moto_tables) == ["rejected"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8"])
def test_json_with_or_without_a_utf8_charset_is_accepted(team: Repository, content_type: str) -> None:
    reply = call_as(
        "POST",
        "/intake/leads",
        {"name": "An", "phone": "0912345678"},
        who=None,
        headers={**FORM, "Content-Type": content_type},
    )
    assert reply.status == 201


# ------------------------------------------------------------------ text
UNREADABLE_NAMES = {
    "NUL": "An\u0000",
    "control": "An\u0007b",
    "bidi override": "\u202eAn",
    "bidi isolate": "An\u2066x",
    "zero-width only": "\u200b\u200b",
    "spaces only": "   ",
}


@pytest.mark.parametrize("name", UNREADABLE_NAMES.values(), ids=UNREADABLE_NAMES.keys())
def test_unreadable_names_are_refused_on_every_route_that_takes_one(
    team: Repository, moto_tables: dict[str, str], name: str
) -> None:
    (lead,) = add_leads(team, 1)
    before = _everything(moto_tables)
    replies = [
        call_as("POST", "/intake/leads", {"name": name, "phone": "0912345678"}, who=None, headers=FORM),
        call_as("PATCH", f"/leads/{lead.lead_id}", {"name": name}),
        call_as("POST", "/staff", {"name": name}),
        call_as("PATCH", "/staff/A", {"name": name}),
    ]
    # (the door refuses a NUL anywhere in a body before reading fields: it names the body)
    door_field = "body" if "\u0000" in name else "name"
    assert [(r.status, _fields(r)) for r in replies] == [(422, {door_field})] + [(422, {"name"})] * 3
    assert _everything(moto_tables) == before


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"": "x"}, "attributes"),
        ({"a#b": "x"}, "attributes"),
        ({"note": "x" * 1001}, "attributes.note"),
        ({f"k{i}": "v" for i in range(31)}, "attributes"),
    ],
)
def test_patched_attributes_are_bounded_like_intakes(
    team: Repository, moto_tables: dict[str, str], attributes: dict[str, str], field: str
) -> None:
    (lead,) = add_leads(team, 1, phone="+84912345678")
    before = _everything(moto_tables)
    reply = call_as("PATCH", f"/leads/{lead.lead_id}", {"attributes": attributes})
    assert reply.status == 422 and any(f.startswith(field) for f in _fields(reply)), reply.body
    assert _everything(moto_tables) == before
    # and the lead still reads back
    assert call_as("GET", f"/leads/{lead.lead_id}").status == 200


def test_an_id_with_a_percent_encoded_colon_is_the_id_itself(team: Repository) -> None:
    # Given a rule whose id has a ':' (ids allow it), which HTTP clients send as %3A
    created = call_as("POST", "/rules", {**_RULE, "rule_id": "r:tet"})
    assert created.status == 201, created.body
    # When it is read, enabled and deleted through its encoded path / Then it is that rule
    assert call_as("GET", "/rules/r%3Atet").body["rule_id"] == "r:tet"
    assert call_as("POST", "/rules/r%3Atet/disable").body["active"] is False
    assert call_as("DELETE", "/rules/r%3Atet").status == 204


@pytest.mark.parametrize("key", ["k" * 129, ""])
def test_an_idempotency_key_the_contract_does_not_allow_is_a_422_naming_it(
    team: Repository, moto_tables: dict[str, str], key: str
) -> None:
    # Given a key over 128 characters (it used to be cut to 128, so two such keys could collide)
    before = _everything(moto_tables)
    reply = call_as(
        "POST",
        "/intake/leads",
        {"name": "An", "phone": "0912345678"},
        who=None,
        headers={**FORM, "Idempotency-Key": key},
    )
    assert reply.status == 422 and _fields(reply) == {"idempotency-key"}, reply.body
    assert _everything(moto_tables) == before
    # ...and one of 128 is fine
    ok = call_as(
        "POST",
        "/intake/leads",
        {"name": "An", "phone": "0912345678"},
        who=None,
        headers={**FORM, "Idempotency-Key": "k" * 128},
    )
    assert ok.status == 201
