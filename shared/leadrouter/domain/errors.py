"""Domain errors: raised by logic, mapped to transport (HTTP status, log level) in one place each."""

from __future__ import annotations


class LeadRouterError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(LeadRouterError):
    """The tenant, lead, rule or staff member does not exist (or is not visible to the caller)."""


class NotAllowed(LeadRouterError):
    """The caller's role does not allow this action (HTTP 403)."""


class Conflict(LeadRouterError):
    """The state changed under the caller (a conditional write lost); re-read and decide again."""


class InvalidInput(LeadRouterError):
    """Input that passed the schema but breaks a domain rule; ``fields`` names each offender."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class ContactTaken(Conflict):
    """A phone or email that another live lead already holds (HTTP 409 naming the field)."""

    def __init__(self, field: str, holder: str | None) -> None:
        super().__init__(f"this {field} already belongs to lead {holder or '(another lead)'}")
        self.field = field
        self.holder = holder


class Unavailable(LeadRouterError):
    """A dependency failed after the request was stored: the sender should retry (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(LeadRouterError):
    """The caller used up a quota: retry after ``retry_after`` seconds (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreUnavailable(Unavailable):
    """A store did not answer (throttled, down): the data layer's name for an AWS failure, so logic
    decides what to tell the sender without knowing the SDK. ``code`` names the failure for logs."""

    def __init__(self, code: str, retry_after: int = 5) -> None:
        super().__init__(f"a store is unavailable ({code})", retry_after=retry_after)
        self.code = code
