"""Slack rate budgets and the delivery plan of each reply.

Slack limits calls per method and workspace (per minute: `chat.update` ~50, Tier 3;
`chat.startStream` and `chat.stopStream` ~20 each, Tier 2; `chat.appendStream` ~100,
Tier 4; `chat.postMessage` about one a second per channel). Every reply in every process
spends from one sliding window per workspace and method, kept in the store (Redis when
set), so the bot never sends a call it knows Slack would refuse:

- a reply is streamed *natively* (startStream, appends, stopStream) only if the stream
  window has room for its start and its stop, both reserved at once, and the append
  window for at least one append; appends spend what is left and are dropped first;
- otherwise it is streamed with *edits* (placeholder, edits, final edit) if the edit
  window has room for its final edit plus at least one intermediate edit; the final edit
  is reserved when the reply starts, so a reply that started streaming always finishes;
- otherwise it is delivered *once*, complete, with `chat.postMessage` when it is ready:
  no placeholder that could be left behind;
- a 429 pauses that method for its Retry-After (learned by the Slack client's retry
  handler), and nothing new is planned on a paused method.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.store import Store

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PAUSE_RECHECK_SECONDS = 1.0
# Per workspace and minute, a little under Slack's tiers so bursts of retries still fit.
EDITS_PER_MINUTE = 45  # chat.update, Tier 3 (50+)
STREAMS_PER_MINUTE = 18  # chat.startStream and chat.stopStream, Tier 2 (20+) each
APPENDS_PER_MINUTE = 90  # chat.appendStream, Tier 4 (100+)
# One token of the stream window is one start *and* its stop: they always come in pairs,
# so a single window reserves both atomically (Store.take cannot give tokens back).
STREAM_WINDOW = "chat.startStream+stopStream"
STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")


class Delivery(StrEnum):
    """How one reply reaches Slack."""

    NATIVE = "native"  # chat.startStream, chat.appendStream*, chat.stopStream
    EDITS = "edits"  # a placeholder (or first draft), chat.update edits, a final edit
    ONCE = "once"  # one chat.postMessage of the complete answer


@dataclass(frozen=True, slots=True)
class Plan:
    """How one reply will be delivered."""

    delivery: Delivery
    reserved_edits: int = 0  # intermediate edits already paid for in the window

    @property
    def streamed(self) -> bool:
        """Whether the asker sees the answer grow (natively or by edits)."""
        return self.delivery is not Delivery.ONCE


class EditBudget:
    """The per-workspace windows shared by every reply (and process): edits and streams."""

    def __init__(
        self,
        store: Store,
        *,
        per_minute: int = EDITS_PER_MINUTE,
        streams_per_minute: int = STREAMS_PER_MINUTE,
        appends_per_minute: int = APPENDS_PER_MINUTE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._limits = {
            "chat.update": per_minute,
            STREAM_WINDOW: streams_per_minute,
            "chat.appendStream": appends_per_minute,
        }
        self._clock = clock
        self._pauses_seen: dict[str, tuple[bool, float]] = {}

    async def _take(self, window: str, workspace: str, *, tokens: int, leave: int = 0) -> bool:
        # tokens=0 only asks whether the window has room for `leave` more.
        return await self._store.take(
            f"docsbot:budget:{workspace}:{window}",
            tokens=tokens,
            limit=self._limits[window] - leave,
            window=WINDOW_SECONDS,
            now=self._clock(),
        )

    async def plan(self, workspace: str) -> Plan:
        """Stream by edits only if the final edit and one showing the answer can be reserved.

        Reserving the first intermediate edit too means every streamed reply shows its
        answer growing at least once; without it, a burst would get many placeholders that
        jump straight to the final answer.
        """
        if await self.paused("chat.update"):
            return Plan(Delivery.ONCE)
        streamed = await self._take("chat.update", workspace, tokens=2)
        return Plan(Delivery.EDITS, reserved_edits=1) if streamed else Plan(Delivery.ONCE)

    async def plan_native(self, workspace: str) -> Plan:
        """Stream natively if start and stop can be reserved and one append fits; else plan()."""
        if await self._native_room(workspace):
            return Plan(Delivery.NATIVE)
        return await self.plan(workspace)

    async def _native_room(self, workspace: str) -> bool:
        for method in STREAM_METHODS:
            if await self.paused(method):
                return False
        if not await self._take("chat.appendStream", workspace, tokens=0, leave=1):
            return False
        return await self._take(STREAM_WINDOW, workspace, tokens=1)

    async def try_edit(self, workspace: str) -> bool:
        """Spend one intermediate edit if the window has room."""
        if await self.paused("chat.update"):
            return False
        return await self._take("chat.update", workspace, tokens=1)

    async def try_append(self, workspace: str) -> bool:
        """Spend one chat.appendStream if the window has room."""
        if await self.paused("chat.appendStream"):
            return False
        return await self._take("chat.appendStream", workspace, tokens=1)

    async def pause(self, method: str, seconds: float) -> None:
        """Remember that Slack asked us to wait before calling method again."""
        seconds = max(seconds, 0.1)
        self._pauses_seen[method] = (True, self._clock() + seconds)
        await self._store.set(f"docsbot:pause:{method}", "1", seconds)

    async def paused(self, method: str) -> bool:
        """Whether method is waiting out a Retry-After (here, or in another process)."""
        # Other processes' pauses are read from the store at most once a second: under a
        # burst this spares a round trip per edit, and a 429 is rare, not urgent news.
        now = self._clock()
        seen = self._pauses_seen.get(method)
        if seen is not None and now < seen[1]:
            return seen[0]
        paused = await self._store.get(f"docsbot:pause:{method}") is not None
        self._pauses_seen[method] = (paused, now + PAUSE_RECHECK_SECONDS)
        return paused


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
