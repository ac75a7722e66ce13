"""A source's health: one ``SOURCEHEALTH#<id>`` item beside the source in the config table.

Written on the events that matter (a refusal, an error, a recovery), and on a delivery at most once a
minute per container (``DELIVERY_NOTE_SECONDS``): a busy source's leads cost no write for it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import ClassVar

from leadrouter.data.items import Store, expr_values, read_model, tenant_pk, to_item
from leadrouter.domain.forms import FormSource
from leadrouter.domain.source_health import SourceHealth

HEALTH_PREFIX = "SOURCEHEALTH#"
#: How often one container notes a source's last delivery (a busy source is not written per lead).
DELIVERY_NOTE_SECONDS = 60
_MAX_TEXT = 500


class SourceHealthStore(Store):
    """Counters and last events per source (``logic.intake`` notes them; admins read them)."""

    _noted_lock: ClassVar[threading.Lock] = threading.Lock()
    #: (tenant, source) → when this container last noted a delivery (epoch seconds).
    _noted: ClassVar[dict[tuple[str, str], float]] = {}

    def note_source_refusal(self, source: FormSource, reason: str, now: datetime) -> None:
        self._update(
            source,
            "ADD refused :one SET last_refusal = :reason, last_refused_at = :at",
            one=1,
            reason=reason[:_MAX_TEXT],
            at=now.isoformat(),
        )

    def note_source_delivery(self, source: FormSource, now: datetime) -> None:
        key = (source.tenant_id, source.source_id)
        with self._noted_lock:
            last = self._noted.get(key)
            if last is not None and 0 <= now.timestamp() - last < DELIVERY_NOTE_SECONDS:
                return
            self._noted[key] = now.timestamp()
        self._update(source, "SET last_delivery_at = :at", at=now.isoformat())

    def note_source_error(self, source: FormSource, error: str, now: datetime, *, unhealthy: bool) -> None:
        """An error reading the source's deliveries; ``unhealthy``: it lasts until the admin acts."""
        self._update(
            source,
            "SET last_error = :error, last_error_at = :at, healthy = :healthy",
            error=error[:_MAX_TEXT],
            at=now.isoformat(),
            healthy=not unhealthy,
        )

    def note_source_healthy(self, source: FormSource) -> None:
        self._update(source, "SET healthy = :healthy", healthy=True)

    def source_health(self, tenant_id: str, source_id: str) -> SourceHealth:
        item = self._get_config(tenant_id, f"{HEALTH_PREFIX}{source_id}")
        return read_model(SourceHealth, {**(item or {}), "source_id": source_id}) or SourceHealth(
            source_id=source_id
        )

    def _update(self, source: FormSource, expression: str, **values: object) -> None:
        self._client.update_item(
            TableName=self._config,
            Key=to_item({"pk": tenant_pk(source.tenant_id), "sk": f"{HEALTH_PREFIX}{source.source_id}"}),
            UpdateExpression=expression,
            ExpressionAttributeValues=expr_values(**values),
        )
