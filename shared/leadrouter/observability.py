"""The only Logger, Tracer and Metrics in the code base (one service name, one namespace)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
#: The namespace has a default: without one, Powertools raises from ``add_metric`` once 100 values
#: accumulate (its automatic flush), which failed the 100th lead of a process that had imported this
#: before setting POWERTOOLS_METRICS_NAMESPACE (the local stack, the demo).
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "LeadRouter")


def mask_phone(phone: str | None) -> str | None:
    """Keep the last three digits so support can match a complaint without logging the number."""
    if not phone:
        return phone
    return "*" * max(len(phone) - 3, 0) + phone[-3:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
