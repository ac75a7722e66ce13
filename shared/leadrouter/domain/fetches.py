"""What a stored delivery still needs later: a lead a platform only announced, fetched from the
platform; or a held part, let in once nothing completed it in time.

Meta's webhook carries a lead's id, not its answers; they are read from the Graph API by a worker behind
a queue, so a platform outage delays the lead and never loses it: the delivery is stored first, each
attempt that fails comes back after the schedule's delay, and after the last one the delivery is listed
as failed (replayable) while its message goes to the dead-letter queue.
"""

from __future__ import annotations

from datetime import datetime

from leadrouter.domain.base import Ident, _Model
from leadrouter.domain.webhooks import RetrySchedule


class FetchRefused(Exception):
    """The platform refuses us the lead (a token revoked or expired, a permission withdrawn): retrying
    does not help until an admin fixes the source; its deliveries wait, listed and replayable."""


class FetchFailed(Exception):
    """The platform did not give the lead this time (down, throttled, timed out): try again later."""


class FetchOrder(_Model):
    """Fetch the lead of one stored delivery (the message on the fetch queue; no personal data)."""

    tenant_id: Ident
    source_id: Ident
    submission_id: str
    #: A held part (a form left half-filled) to let in at this time if nothing has completed it.
    not_before: datetime | None = None


#: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 11 h: ten attempts over 26 h 42 min 30 s (each delay a
#: ChangeMessageVisibility, at most 12 h from the receive). Meta keeps a lead readable for 90 days.
FETCH_SCHEDULE = RetrySchedule((30, 120, 600, 1800, 3600, 7200, 14400, 28800, 39600))
