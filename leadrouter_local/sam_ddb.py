"""`make ddb`: DynamoDB Local on a fixed port for the SAM CLI (`sam local invoke` / `start-api`).

Tables are created from template.yaml under their logical ids (what env.local.json names), the demo
tenant of `make run` is seeded, and so are the leads the committed stream events describe (a stream
record is the trace of a write: `sam local invoke AssignFunction -e events/AssignFunction/LeadArrived-…`
then finds its lead), the demo webhook the committed delivery event is addressed to, and an alert
address for escalations. Prints the endpoint and the table names, then runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadrouter_local.ddb_local import CLIENT_REGION, DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.template import create_tables, load_template, table_env

if TYPE_CHECKING:
    from leadrouter.data.repository import Repository

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
DEFAULT_PORT = 8000
#: The demo tenant's webhook, named by events/WebhookDeliveryFunction/*.json. Id and secret are fixed,
#: local-only strings, so a local receiver can check the signature; `make ddb --webhook-url` moves it.
DEMO_WEBHOOK_ID = "W01a2309e24005a4d6c6f63616c30"
DEMO_WEBHOOK_SECRET = "whsec_demo-local-only-not-a-secret-00000000000000"  # noqa: S105 - local-only
DEMO_WEBHOOK_URL = "http://127.0.0.1:9000/leadrouter-webhook"
#: Where the demo tenant's escalation e-mails go (AlertFunction sends them only with ALERT_SENDER set).
DEMO_ALERT_EMAIL = "canh-bao@demo.example.vn"


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


def seed_webhook_and_alerts(repo: Repository, webhook_url: str = DEMO_WEBHOOK_URL) -> None:
    """What the committed queue events need beyond the demo tenant (``seed_demo`` first): its webhook,
    at ``webhook_url`` (registered again there if it points elsewhere), and an alert e-mail address."""
    from leadrouter.domain.alerts import EscalationAlerts
    from leadrouter.domain.webhooks import Webhook
    from leadrouter_local.demo_data import TENANT

    current = repo.get_webhook(TENANT, DEMO_WEBHOOK_ID)
    if current is not None and current.url != webhook_url:
        repo.delete_webhook(TENANT, DEMO_WEBHOOK_ID)
    if current is None or current.url != webhook_url:
        created = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        webhook = Webhook(
            webhook_id=DEMO_WEBHOOK_ID,
            tenant_id=TENANT,
            url=webhook_url,
            description="Demo CRM (local)",
            created_at=created,
        )
        repo.create_webhook(webhook, DEMO_WEBHOOK_SECRET)
    tenant = repo.get_tenant(TENANT)
    if tenant is not None and not tenant.alerts.emails:
        alerts = EscalationAlerts(webhook_ids=tenant.alerts.webhook_ids, emails=[DEMO_ALERT_EMAIL])
        repo.save_tenant(tenant, tenant.model_copy(update={"alerts": alerts}))


def prepare(client: Any, endpoint: str, webhook_url: str = DEMO_WEBHOOK_URL) -> dict[str, str]:
    """Tables from the template (logical ids as names), the demo tenant, its webhook and alert
    address, and the events' leads.

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
    from leadrouter.runtime import repository
    from leadrouter_local.demo_data import seed_demo

    seed_demo()
    seed_webhook_and_alerts(repository(), webhook_url)
    seed_stream_items(client, tables)
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="DynamoDB Local for sam local, with the demo data")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DDB_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--webhook-url", default=DEMO_WEBHOOK_URL, help="where the demo webhook posts (a local receiver)"
    )
    args = parser.parse_args(argv)
    from leadrouter_local.stop_signals import StopSignals

    signals = StopSignals()
    signals.install()
    ddb = DynamoDBLocal(port=args.port)  # in memory: every start is the same seeded state
    try:
        endpoint = ddb.start()
    except DynamoDBLocalError as error:
        raise SystemExit(f"error: {error} (make ddb DDB_PORT=…)") from None
    try:
        tables = prepare(ddb.client(), endpoint, args.webhook_url)
        print(banner(endpoint, tables, args.webhook_url), flush=True)
        signals.wait()
    finally:
        ddb.stop()


def banner(endpoint: str, tables: dict[str, str], webhook_url: str = DEMO_WEBHOOK_URL) -> str:
    from leadrouter.demo_auth import ADMIN_TOKEN, DEMO_TOKENS
    from leadrouter_local.demo_data import FORM_KEY, TENANT

    tokens = " / ".join(DEMO_TOKENS)
    names = "\n".join(f"    {var:<18} {name}" for var, name in table_env(tables).items())
    return f"""
DynamoDB Local for the SAM CLI: {endpoint}   (in memory; Ctrl-C stops it)
  tables (env.local.json names them):
{names}
  demo tenant "{TENANT}", form key {FORM_KEY}, tokens {tokens}
  webhook {DEMO_WEBHOOK_ID} posts to {webhook_url} (secret {DEMO_WEBHOOK_SECRET})
  escalation e-mails (with ALERT_SENDER set) go to {DEMO_ALERT_EMAIL}

  sam build && sam local invoke AssignFunction -e events/AssignFunction/LeadArrived-pending-lead.json
  sam local start-api   # then: curl -H 'Authorization: Bearer {ADMIN_TOKEN}' http://127.0.0.1:3000/leads
  (samconfig.toml passes --env-vars env.local.json --docker-network host; another port: edit env.local.json)
"""


if __name__ == "__main__":
    main()
