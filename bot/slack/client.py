"""The Slack Web API client, counted: every call by method and result, every 429 by method.

slack-sdk has no hook for finished calls, so ``MeteredWebClient`` wraps ``api_call`` (every
method goes through it) and ``RateLimitCounter`` is a retry handler that never retries: it
sees each 429 before slack-sdk's own handler waits it out.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import Metrics


class MeteredWebClient(AsyncWebClient):
    """An AsyncWebClient that counts its calls in ``docsbot_slack_calls_total``."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics
        self.retry_handlers.insert(0, RateLimitCounter(metrics))

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Call api_method as slack-sdk does, counting how it ended."""
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            self._count(api_method, str(exc.response.get("error") or exc.response.status_code))
            raise
        except (SlackClientError, aiohttp.ClientError, OSError):
            self._count(api_method, "unreachable")
            raise
        self._count(api_method, "ok")
        return response

    def _count(self, method: str, result: str) -> None:
        self._metrics.slack_calls.labels(method=method, result=result).inc()


class RateLimitCounter(AsyncRetryHandler):
    """Counts 429s in ``docsbot_slack_ratelimited_total``; leaves retrying to the next handler."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            self._metrics.slack_ratelimited.labels(method=method).inc()
        return False
