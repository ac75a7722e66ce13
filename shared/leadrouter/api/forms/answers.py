"""What the form door answers in JSON: a receipt to the public key, the lead to the source's secret.

A form key is public, so its answer must not tell a known contact from a new one: every accepted
submission (new lead, linked to a known lead, a duplicate in a rotate pool, spam) gets the same
receipt, with the same status code. A server holding the source's secret (``X-Source-Secret``, see
``domain.keys``) is told which lead its submission became and where that lead stands.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from leadrouter.logic.intake.new_leads import IntakeResult

RECEIPT_MESSAGE = "Đã nhận thông tin. Cảm ơn bạn! / Received, thank you."


class SubmissionReceipt(BaseModel):
    """The answer to the public form key: that the submission is stored, and nothing about any lead."""

    submission_id: str = Field(description="the stored submission (GET /intake/submissions/{id} for admins)")
    status: Literal["received"] = "received"
    message: str = RECEIPT_MESSAGE


class SourceAnswer(IntakeResult):
    """The answer to a server that sent the source's secret: the lead this submission became."""

    submission_id: str
