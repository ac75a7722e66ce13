"""Read ``template.yaml`` so local tooling follows the deployed stack instead of a second copy of it.

The YAML loader understands CloudFormation short tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...) and turns
each into its long form (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``), so the result is the plain JSON
shape of the template.  On top of that:

* :func:`table_specs` / :func:`create_tables` create every ``AWS::DynamoDB::Table`` (keys, GSIs,
  streams, TTL) in DynamoDB Local;
* :func:`table_env` gives the table env vars the functions' ``Globals`` declare;
* :func:`functions` lists the functions with their events (schedules, streams, routes) to emulate.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

__all__ = [
    "TEMPLATE_PATH",
    "CfnLoader",
    "create_tables",
    "functions",
    "load_template",
    "table_env",
    "table_specs",
    "ttl_attribute",
]

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

TABLE_TYPE = "AWS::DynamoDB::Table"
FUNCTION_TYPE = "AWS::Serverless::Function"

# Keys boto3 ``create_table`` (and DynamoDB Local) accept inside an index definition; everything
# else CloudFormation allows there (ContributorInsightsSpecification, OnDemandThroughput,
# ProvisionedThroughput under PAY_PER_REQUEST, WarmThroughput, ...) is dropped.
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection")

# Short tag -> long-form key.  !GetAtt's scalar form "A.B" becomes ["A", "B"].
_SHORT_TAGS: dict[str, str] = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "Join",
            "If",
            "Equals",
            "Not",
            "Select",
            "Split",
            "FindInMap",
            "ImportValue",
            "Base64",
            "And",
            "Or",
            "GetAZs",
            "Cidr",
        )
    },
}


class CfnLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that maps CloudFormation short tags to their long form.

    Like CloudFormation it keeps unquoted dates (``2024-01-01``) as strings.
    """


def _construct_short_tag(loader: CfnLoader, node: yaml.Node) -> dict[str, Any]:
    key = _SHORT_TAGS[node.tag]
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - PyYAML has no other node kinds
        raise yaml.constructor.ConstructorError(
            None, None, f"unexpected node for {node.tag}", node.start_mark
        )
    return {key: value}


for _tag in _SHORT_TAGS:
    CfnLoader.add_constructor(_tag, _construct_short_tag)

CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON) into plain dicts with long-form intrinsics."""
    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader subclass
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ValueError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return data


def _resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    return {lid: res for lid, res in resources.items() if res.get("Type") == type_name}


def _literal(value: Any, where: str) -> Any:
    """Return ``value`` unchanged, refusing intrinsic functions (DynamoDB Local cannot resolve them)."""
    if isinstance(value, dict):
        for key in value:
            if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
                raise ValueError(f"{where}: intrinsic {key} is not supported by the local table tooling")
            _literal(value[key], f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _literal(item, f"{where}[{i}]")
    return value


def _index_spec(index: dict[str, Any], where: str) -> dict[str, Any]:
    return {key: copy.deepcopy(_literal(index[key], f"{where}.{key}")) for key in _INDEX_KEYS if key in index}


def table_specs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> keyword arguments for boto3 ``create_table`` (all but ``TableName``).

    Keys, attribute definitions, GSIs/LSIs (only the keys ``create_table`` accepts) and the stream
    come from the template; billing is always ``PAY_PER_REQUEST``.  PITR, SSE, tags and TTL are not
    ``create_table`` arguments and are left out (see :func:`ttl_attribute` for TTL).
    """
    specs: dict[str, dict[str, Any]] = {}
    for lid, resource in _resources_of_type(template, TABLE_TYPE).items():
        props: dict[str, Any] = resource.get("Properties", {})
        where = f"Resources.{lid}.Properties"
        spec: dict[str, Any] = {
            "KeySchema": copy.deepcopy(_literal(props["KeySchema"], f"{where}.KeySchema")),
            "AttributeDefinitions": copy.deepcopy(
                _literal(props["AttributeDefinitions"], f"{where}.AttributeDefinitions")
            ),
            "BillingMode": "PAY_PER_REQUEST",
        }
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            indexes = props.get(kind)
            if indexes:
                spec[kind] = [_index_spec(ix, f"{where}.{kind}[{i}]") for i, ix in enumerate(indexes)]
        stream = props.get("StreamSpecification")
        if stream:
            view_type = _literal(stream["StreamViewType"], f"{where}.StreamSpecification")
            spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
        specs[lid] = spec
    return specs


def ttl_attribute(template: dict[str, Any], logical_id: str) -> str | None:
    """The TTL attribute name of table ``logical_id`` if its TimeToLiveSpecification is enabled."""
    resource = _resources_of_type(template, TABLE_TYPE).get(logical_id)
    if resource is None:
        raise KeyError(f"{logical_id} is not an {TABLE_TYPE} of the template")
    ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
    if not ttl or ttl.get("Enabled") is not True:
        return None
    name = ttl.get("AttributeName")
    return str(name) if name else None


def _existing_tables(client: Any) -> set[str]:
    names: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        names.update(page.get("TableNames", []))
    return names


def _is_active(table: dict[str, Any]) -> bool:
    statuses = [ix.get("IndexStatus") for ix in table.get("GlobalSecondaryIndexes", [])]
    return table.get("TableStatus") == "ACTIVE" and all(s == "ACTIVE" for s in statuses)


def _wait_active(client: Any, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=name)["Table"]
        statuses = [ix.get("IndexStatus") for ix in table.get("GlobalSecondaryIndexes", [])]
        if _is_active(table):
            return
        if time.monotonic() > deadline:
            status = f"{table['TableStatus']}, indexes {statuses}"
            raise TimeoutError(f"table {name} not ACTIVE after {timeout:.0f}s ({status})")
        time.sleep(0.2)


def _sync_indexes(client: Any, name: str, spec: dict[str, Any]) -> None:
    """Bring an existing table in line with the template: same keys, exactly the template's GSIs.

    An index the template no longer has is deleted, one whose key schema or projection changed is
    deleted and created again (DynamoDB cannot modify either in place), a new one is created; the
    table's items are kept and the new indexes are backfilled from them. DynamoDB accepts one index
    creation or deletion per UpdateTable, so each waits for the table to be ACTIVE again.
    """
    table = client.describe_table(TableName=name)["Table"]
    if table["KeySchema"] != spec["KeySchema"]:
        raise ValueError(
            f"table {name} exists with key schema {table['KeySchema']}, the template says "
            f"{spec['KeySchema']}: delete it (or the DynamoDB Local data dir) and retry"
        )
    wanted = {ix["IndexName"]: _index_shape(ix) for ix in spec.get("GlobalSecondaryIndexes", [])}
    present = {ix["IndexName"]: _index_shape(ix) for ix in table.get("GlobalSecondaryIndexes", [])}
    for index_name, shape in present.items():
        if wanted.get(index_name) == shape:
            continue
        logger.info("dropping index %s of existing table %s (not in the template as it is)", index_name, name)
        client.update_table(
            TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index_name}}]
        )
        _wait_active(client, name)  # the index is gone once none is DELETING
    current = _index_names(client, name)
    for index in spec.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in current:
            continue
        logger.info("adding index %s to existing table %s", index["IndexName"], name)
        client.update_table(
            TableName=name,
            AttributeDefinitions=spec["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_active(client, name)  # DynamoDB accepts one index creation per UpdateTable


def _index_shape(index: dict[str, Any]) -> tuple[Any, str, tuple[str, ...]]:
    """What makes two GSIs the same index: key schema and projection (non-key attributes in any order)."""
    projection = index.get("Projection", {})
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"])
    return (
        keys,
        projection.get("ProjectionType", "ALL"),
        tuple(sorted(projection.get("NonKeyAttributes", []))),
    )


def _index_names(client: Any, name: str) -> set[str]:
    table = client.describe_table(TableName=name)["Table"]
    return {ix["IndexName"] for ix in table.get("GlobalSecondaryIndexes", [])}


def _enable_ttl(client: Any, name: str, attribute: str, *, new: bool = False) -> None:
    """TTL on ``attribute``; a table just created (``new``) has it off, so nothing is asked first."""
    try:
        if not new:
            current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                return
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )
    except ClientError as exc:  # TTL is a nicety locally; items just do not expire
        logger.warning("could not enable TTL on %s: %s", name, exc)


def create_tables(
    client: Any, template: dict[str, Any] | None = None, prefix: str = "", *, ttl: bool = True
) -> dict[str, str]:
    """Create every DynamoDB table of the template as ``prefix + logical id``; idempotent.

    Existing tables are kept, their GSIs made the template's (see ``_sync_indexes``); new ones
    are created.
    Waits until every table and index is ACTIVE and enables TTL where the template declares it
    (``ttl=False``: left off, for tests whose clock is not the machine's; see the integration
    ``ddb_tables`` fixture). Returns logical id -> table name.
    """
    template = load_template() if template is None else template
    specs = table_specs(template)
    existing = _existing_tables(client)
    names: dict[str, str] = {}
    #: Tables this call created that were ACTIVE at once (DynamoDB Local, moto): no wait, TTL still off.
    ready: set[str] = set()
    for lid, spec in specs.items():
        name = f"{prefix}{lid}"
        if name in existing:
            _sync_indexes(client, name, spec)
        else:
            try:
                created = client.create_table(TableName=name, **spec)["TableDescription"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                    raise
                _sync_indexes(client, name, spec)  # created concurrently by someone else
            else:
                if _is_active(created):
                    ready.add(name)
        names[lid] = name
    for lid, name in names.items():
        if name not in ready:
            _wait_active(client, name)
        attribute = ttl_attribute(template, lid)
        if attribute and ttl:
            _enable_ttl(client, name, attribute, new=name in ready)
    return names


def table_env(names: dict[str, str], template: dict[str, Any] | None = None) -> dict[str, str]:
    """Env vars of ``Globals.Function.Environment.Variables`` that ``!Ref`` a table, set to its name.

    ``names`` maps logical id -> table name (as returned by :func:`create_tables`).
    """
    template = load_template() if template is None else template
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    env: dict[str, str] = {}
    for var, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in names:
            env[var] = names[value["Ref"]]
    return env


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> ``{"code_uri", "handler", "events", "environment"}`` per AWS::Serverless::Function.

    ``Globals.Function`` is applied the way SAM does (function values win, env vars merged).
    ``code_uri`` is as written in the template (relative to its directory); ``events`` maps each
    event name to ``{"type", "properties"}``; ``environment`` holds the raw values (intrinsics such
    as ``{"Ref": "LeadsTable"}`` stay unresolved).
    """
    defaults: dict[str, Any] = template.get("Globals", {}).get("Function", {})
    default_env: dict[str, Any] = defaults.get("Environment", {}).get("Variables", {})
    result: dict[str, dict[str, Any]] = {}
    for lid, resource in _resources_of_type(template, FUNCTION_TYPE).items():
        props: dict[str, Any] = resource.get("Properties", {})
        events = props.get("Events") or {}
        result[lid] = {
            "code_uri": props.get("CodeUri", defaults.get("CodeUri")),
            "handler": props.get("Handler", defaults.get("Handler")),
            "events": {
                name: {"type": event.get("Type"), "properties": copy.deepcopy(event.get("Properties", {}))}
                for name, event in events.items()
            },
            "environment": {
                **copy.deepcopy(default_env),
                **copy.deepcopy(props.get("Environment", {}).get("Variables", {})),
            },
        }
    return result
