"""How a source's deliveries are going, for its admin: is the platform reaching us, and can we read it.

A platform posts to a URL it was given once; when its secret changes, its token is revoked or its
signature is wrong, nothing else tells the tenant. Health is kept beside the source, changed only on
the events that matter (a refusal, an error, a recovery, a delivery at most once a minute per
container), so a lead costs no write for it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SourceHealth(BaseModel):
    """What an admin sees of a source's deliveries."""

    source_id: str
    #: False once the platform refused us (a revoked or expired token): leads wait until it is fixed.
    healthy: bool = True
    last_delivery_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    last_error_at: datetime | None = None
    #: Deliveries refused before they were stored (a wrong signature or key), and the last reason.
    refused: int = 0
    last_refusal: str | None = Field(default=None, max_length=500)
    last_refused_at: datetime | None = None
    #: Deliveries stored and not finished (a platform's lead waiting to be fetched, or one in flight),
    #: and deliveries that failed (replayable), over the 30 days deliveries are kept.
    pending: int = 0
    failed: int = 0
    #: False when the source has more deliveries than a health view reads: the counts are "at least".
    counts_complete: bool = True
