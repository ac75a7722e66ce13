"""`make ddb`: DynamoDB Local on a fixed port for the SAM CLI (`sam local invoke` / `start-api`).

Tables are created from template.yaml under their logical ids (what env.local.json names), the demo
tenant of `make run` is seeded, and so are the leads the committed stream events describe (a stream
record is the trace of a write: `sam local invoke AssignFunction -e events/AssignFunction/LeadArrived-…`
then finds its lead). Prints the endpoint and the table names, then runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from leadrouter_local.ddb_local import CLIENT_REGION, DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.template import create_tables, load_template, table_env

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
DEFAULT_PORT = 8000


def stream_images(events_dir: Path = EVENTS_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(table logical id, newest image) of each item the committed DynamoDB stream events carry.

    The table is the one the record's ``eventSourceARN`` names (``…:table/<LogicalId>/stream/…``).
    """
    images: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for path in sorted(events_dir.glob("*/*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        for record in event.get("Records") or []:
            change = record.get("dynamodb") or {}
            if record.get("eventSource") != "aws:dynamodb" or "NewImage" not in change:
                continue
            table = str(record["eventSourceARN"]).split(":table/", 1)[1].split("/", 1)[0]
            images[(table, json.dumps(change["Keys"], sort_keys=True))] = (table, change["NewImage"])
    return list(images.values())


def seed_stream_items(client: Any, tables: dict[str, str], events_dir: Path = EVENTS_DIR) -> int:
    """Put the item of every committed stream record into its table (logical id → name); how many."""
    images = stream_images(events_dir)
    for table, image in images:
        client.put_item(TableName=tables[table], Item=image)
    return len(images)


def prepare(client: Any, endpoint: str) -> dict[str, str]:
    """Tables from the template (logical ids as names), the demo tenant and the events' leads.

    Points this process's boto3 at ``endpoint`` (the demo seeding goes through the Repository).
    """
    template = load_template()
    tables = create_tables(client, template)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", CLIENT_REGION),
            **table_env(tables, template),
        }
    )
    from leadrouter_local.demo_data import seed_demo

    seed_demo()
    seed_stream_items(client, tables)
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="DynamoDB Local for sam local, with the demo data")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DDB_PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    from leadrouter_local.runner import StopSignals

    signals = StopSignals()
    signals.install()
    ddb = DynamoDBLocal(port=args.port)  # in memory: every start is the same seeded state
    try:
        endpoint = ddb.start()
    except DynamoDBLocalError as error:
        raise SystemExit(f"error: {error} (make ddb DDB_PORT=…)") from None
    try:
        tables = prepare(ddb.client(), endpoint)
        print(banner(endpoint, tables), flush=True)
        signals.wait()
    finally:
        ddb.stop()


def banner(endpoint: str, tables: dict[str, str]) -> str:
    from leadrouter.demo_auth import ADMIN_TOKEN, DEMO_TOKENS
    from leadrouter_local.demo_data import FORM_KEY, TENANT

    tokens = " / ".join(DEMO_TOKENS)
    names = "\n".join(f"    {var:<18} {name}" for var, name in table_env(tables).items())
    return f"""
DynamoDB Local for the SAM CLI: {endpoint}   (in memory; Ctrl-C stops it)
  tables (env.local.json names them):
{names}
  demo tenant "{TENANT}", form key {FORM_KEY}, tokens {tokens}

  sam build && sam local invoke AssignFunction -e events/AssignFunction/LeadArrived-pending-lead.json
  sam local start-api   # then: curl -H 'Authorization: Bearer {ADMIN_TOKEN}' http://127.0.0.1:3000/leads
  (samconfig.toml passes --env-vars env.local.json --docker-network host; another port: edit env.local.json)
"""


if __name__ == "__main__":
    main()
