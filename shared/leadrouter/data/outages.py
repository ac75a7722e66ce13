"""AWS failures in the domain's words: a call that throttled or could not reach its store raises
``StoreUnavailable``, so logic decides what the sender is told without importing the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.domain.errors import StoreUnavailable


@contextmanager
def store_outages() -> Iterator[None]:
    """Run a block of store calls; an SDK error leaving it becomes ``StoreUnavailable`` (its cause kept)."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code") or type(error).__name__)
        raise StoreUnavailable(code) from error
    except BotoCoreError as error:
        raise StoreUnavailable(type(error).__name__) from error
