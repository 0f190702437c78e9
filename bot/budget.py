"""Slack rate budgets and the delivery plan of each reply.

Slack limits calls per method and workspace (per minute: `chat.update` ~50, Tier 3;
`chat.postMessage` about one a second per channel). Every reply in every process spends
from one sliding window per workspace and method, kept in the store (Redis when set), so
the bot never sends a call it knows Slack would refuse:

- a reply is *streamed* (placeholder, edits, final edit) only if the window has room for
  its final edit plus at least one intermediate edit; the final edit is reserved when the
  reply starts, so a reply that started streaming always finishes;
- otherwise it is delivered *once*, complete, with `chat.postMessage` when it is ready:
  no placeholder that could be left behind;
- intermediate edits spend what is left and are the first thing dropped;
- a 429 pauses that method for its Retry-After (learned by the Slack client's retry
  handler), and nothing new is planned on a paused method.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.store import Store

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
# Per workspace and minute, a little under Slack's tiers so bursts of retries still fit.
EDITS_PER_MINUTE = 45  # chat.update, Tier 3 (50+)


@dataclass(frozen=True, slots=True)
class Plan:
    """How one reply will be delivered."""

    streamed: bool


class EditBudget:
    """The per-workspace `chat.update` window shared by every reply (and process)."""

    def __init__(
        self,
        store: Store,
        *,
        per_minute: int = EDITS_PER_MINUTE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._per_minute = per_minute
        self._clock = clock

    async def _take(self, workspace: str, *, tokens: int, leave: int = 0) -> bool:
        if await self.paused("chat.update"):
            return False
        return await self._store.take(
            f"docsbot:budget:{workspace}:chat.update",
            tokens=tokens,
            limit=self._per_minute - leave,
            window=WINDOW_SECONDS,
            now=self._clock(),
        )

    async def plan(self, workspace: str) -> Plan:
        """Stream only if the final edit can be reserved with room for one more edit."""
        return Plan(streamed=await self._take(workspace, tokens=1, leave=1))

    async def try_edit(self, workspace: str) -> bool:
        """Spend one intermediate edit if the window has room."""
        return await self._take(workspace, tokens=1)

    async def pause(self, method: str, seconds: float) -> None:
        """Remember that Slack asked us to wait before calling method again."""
        await self._store.set(f"docsbot:pause:{method}", "1", max(seconds, 0.1))

    async def paused(self, method: str) -> bool:
        """Whether method is waiting out a Retry-After."""
        return await self._store.get(f"docsbot:pause:{method}") is not None


class LearningRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (waits Retry-After, retries), which also tells the budget."""

    def __init__(self, budget: EditBudget, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._budget = budget

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None and response.status_code == 429:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            retry_after = _retry_after(response)
            logger.warning("slack rate limit on %s: waiting %.0f s", method, retry_after)
            await self._budget.pause(method, retry_after)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                break
    return 1.0


def retry_handlers(budget: EditBudget, *, max_retry_count: int) -> list[AsyncRetryHandler]:
    """The Slack client's retry handlers: 429s are waited out and remembered."""
    return [LearningRateLimitHandler(budget, max_retry_count=max_retry_count)]
