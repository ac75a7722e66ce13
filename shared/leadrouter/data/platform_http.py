"""Reading from ad platforms' APIs (Meta's Graph API): GET, JSON, short deadlines, nothing logged.

The base URL per platform is configuration (``META_GRAPH_URL``), so ``make run`` and the tests use a
local fake that can fail, throttle and revoke. Query strings carry access tokens: they are never
logged, and errors name only the status.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from leadrouter.domain.fetches import FetchFailed

#: Seconds to wait for a platform's answer (the fetch worker retries later).
TIMEOUT_SECONDS = 10.0


class PlatformApis:
    def __init__(self, base_urls: Mapping[str, str], timeout: float = TIMEOUT_SECONDS) -> None:
        self._base_urls = dict(base_urls)
        self._timeout = timeout

    def get_json(self, platform: str, path: str, params: Mapping[str, str]) -> tuple[int, Any]:
        url = f"{self._base_urls[platform].rstrip('/')}{path}?{urlencode(dict(params))}"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as answer:  # noqa: S310 - https or the local fake
                return int(answer.status), _json(answer.read())
        except urllib.error.HTTPError as error:
            return int(error.code), _json(error.read())
        except (OSError, ValueError) as error:  # refused, reset, timed out, a bad URL
            raise FetchFailed(f"{platform} did not answer: {type(error).__name__}") from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None
