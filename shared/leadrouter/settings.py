"""Configuration from the environment (set by template.yaml, or by the local runner)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    leads_table: str
    config_table: str
    events_table: str
    submissions_table: str
    lease_seconds: int
    #: Webhooks: the delivery log table, the queue a delivery is sent to, and the local stack's
    #: allowances (http://127.0.0.1 receivers; retry delays compressed by ``webhook_retry_scale``).
    deliveries_table: str = ""
    webhook_delivery_queue_url: str = ""
    #: Where the delivery function puts a dead delivery's message (WebhookDeliveryDeadLetterQueue).
    webhook_dead_letter_queue_url: str = ""
    webhooks_allow_local: bool = False
    webhook_retry_scale: float = 1.0
    webhook_timeout_seconds: float = 10.0
    #: The SES sender of escalation e-mails (template parameter AlertSenderEmail); empty: no e-mail.
    alert_sender: str = ""
    #: The dispatch queue (one order per shard per tick) and the sweep queues.
    dispatch_queue_url: str = ""
    assign_queue_url: str = ""
    reclaim_queue_url: str = ""
    #: Where tenants' secrets are sealed (``domain.secrets``): the stack's KMS key (SecretsKey), set only
    #: for the functions that seal or open one; else a local key file (``make run``, tests).
    secrets_key_id: str = ""
    local_secrets_key_file: str = ""
    #: The Cognito user pool of the tenants' users (template.yaml's UserPool); empty: no user management.
    user_pool_id: str = ""
    #: Platforms' announced leads: the queue they wait on to be fetched, Meta's Graph API (a local
    #: fake under ``make run`` and tests), and the local stack's compressed retry delays.
    lead_fetch_queue_url: str = ""
    #: Screened submissions whose writes were throttled wait there for the drain (empty: none, 503).
    intake_overflow_queue_url: str = ""
    meta_graph_url: str = "https://graph.facebook.com"
    fetch_retry_scale: float = 1.0
    #: The tenants' uploaded lists and made exports (template.yaml's FilesBucket); empty: no file store.
    files_bucket: str = ""
    #: Lead exports: the queue a requested export waits on for the export worker.
    export_queue_url: str = ""
    #: Customer-list imports: the queue of their stages and chunks, the rows of a chunk, and the rows
    #: per second one chunk worker writes at most (0: no pace; ``logic.imports.rows`` says why).
    import_queue_url: str = ""
    import_chunk_rows: int = 500
    import_rows_per_second: float = 60.0

    @classmethod
    def from_env(cls) -> Settings:
        missing = [n for n in ("LEADS_TABLE", "CONFIG_TABLE") if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)} (set by template.yaml)")
        return cls(
            leads_table=os.environ["LEADS_TABLE"],
            config_table=os.environ["CONFIG_TABLE"],
            events_table=os.environ.get("EVENTS_TABLE", ""),
            submissions_table=os.environ.get("SUBMISSIONS_TABLE", ""),
            lease_seconds=int(os.environ.get("LEASE_SECONDS", "180")),
            deliveries_table=os.environ.get("DELIVERIES_TABLE", ""),
            webhook_delivery_queue_url=os.environ.get("WEBHOOK_DELIVERY_QUEUE_URL", ""),
            webhook_dead_letter_queue_url=os.environ.get("WEBHOOK_DEAD_LETTER_QUEUE_URL", ""),
            webhooks_allow_local=os.environ.get("WEBHOOKS_ALLOW_LOCAL", "") in ("1", "true"),
            webhook_retry_scale=float(os.environ.get("WEBHOOK_RETRY_SCALE", "1")),
            webhook_timeout_seconds=float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
            alert_sender=os.environ.get("ALERT_SENDER", ""),
            dispatch_queue_url=os.environ.get("DISPATCH_QUEUE_URL", ""),
            assign_queue_url=os.environ.get("ASSIGN_QUEUE_URL", ""),
            reclaim_queue_url=os.environ.get("RECLAIM_QUEUE_URL", ""),
            secrets_key_id=os.environ.get("SECRETS_KEY_ID", ""),
            local_secrets_key_file=os.environ.get("LOCAL_SECRETS_KEY_FILE", ""),
            user_pool_id=os.environ.get("USER_POOL_ID", ""),
            lead_fetch_queue_url=os.environ.get("LEAD_FETCH_QUEUE_URL", ""),
            intake_overflow_queue_url=os.environ.get("INTAKE_OVERFLOW_QUEUE_URL", ""),
            meta_graph_url=os.environ.get("META_GRAPH_URL", "https://graph.facebook.com"),
            fetch_retry_scale=float(os.environ.get("FETCH_RETRY_SCALE", "1")),
            files_bucket=os.environ.get("FILES_BUCKET", ""),
            export_queue_url=os.environ.get("EXPORT_QUEUE_URL", ""),
            import_queue_url=os.environ.get("IMPORT_QUEUE_URL", ""),
            import_chunk_rows=int(os.environ.get("IMPORT_CHUNK_ROWS", "500")),
            import_rows_per_second=float(os.environ.get("IMPORT_ROWS_PER_SECOND", "60")),
        )
