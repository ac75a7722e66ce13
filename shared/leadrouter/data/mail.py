"""Outgoing e-mail through Amazon SES (v2 API): the escalation alerts' optional channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SesMailer:
    """Sends one plain-text message to up to 50 addresses (SES's limit per message; alerts have ≤ 10)."""

    def __init__(self, sender: str, client: Any) -> None:
        self._sender = sender
        self._client = client  # SESv2, from runtime.mailer

    def send(self, to: Sequence[str], subject: str, text: str) -> None:
        self._client.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": list(to)},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                }
            },
        )
