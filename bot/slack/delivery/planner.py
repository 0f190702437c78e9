"""The planner: every Slack budget the bot spends, and the delivery plan of each reply.

Slack limits calls per method and workspace (per minute: `chat.update` ~50, Tier 3;
`chat.startStream` and `chat.stopStream` ~20 each, Tier 2; `chat.appendStream` ~100,
Tier 4) and `chat.postMessage` per channel (about one a second, short bursts). Every
reply in every process spends from one sliding window per workspace and method (per
channel for posts), kept in the store (Redis when set), so the bot never sends a call it
knows Slack would refuse. A reply is planned once, from all of them (``plan_reply``):

1. *edits with a placeholder* while the edit window is roomy: the placeholder goes out
   at once, its final edit and its first draft edit are reserved;
2. else *native* (threads only, where the mode allows it) if the stream window has room
   for its start and its stop, both reserved at once, and the append window for one;
3. else *edits from the first words*: the first post waits (within the ack second) for
   GitBook's first words, so only the final edit is reserved;
4. else *once*: the complete answer, posted when it is ready.

Intermediate edits (and appends) spend only the window's upper half (``LOW_WATER``
keeps room for the finals of replies still to come), each reply at a fair share of that
(``edit_interval`` grows with the replies in flight), never first come first served.
A 429 pauses that method for its Retry-After (learned by the Slack client's retry
handler), and nothing new is planned on a paused method. A post that finds its channel's
slots taken waits in line for the next (first come, first posted) instead of being dropped.

Over the ~250-line guide: every Slack budget and the plan that draws on all of them are one
piece of arithmetic (the windows' shares depend on one another), so they stay together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
# chat.postMessage: "about 1 per second per channel, short bursts" (docs/slack.md §3),
# taken as a bucket of 5 refilled at 1 a second. Posts book one-second slots (SET NX, so
# processes never double-book): a post may take any free slot among the last BURST - 1, so a
# channel gets 4 posts at once, then one a second, inside the bucket with a post to spare.
POST_BURST = 5
POSTS_PER_SECOND = 1.0
# A post still in line this long says so in the thread.
QUEUED_NOTICE_SECONDS = 3.0
# One token of the stream window is one start *and* its stop: they always come in pairs,
# so a single window reserves both atomically (Store.take cannot give tokens back).
STREAM_WINDOW = "chat.startStream+stopStream"
STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")


class Delivery(StrEnum):
    """How one reply reaches Slack (the plan), and later where it is."""

    NATIVE = "native"  # chat.startStream, chat.appendStream*, chat.stopStream
    EDITS = "edits"  # a placeholder (or the first words), chat.update edits, a final edit
    ONCE = "once"  # one chat.postMessage of the complete answer


@dataclass(frozen=True, slots=True)
class Plan:
    """How one reply will be delivered."""

    delivery: Delivery
    reserved_edits: int = 0  # intermediate edits already paid for in the window
    first_words: bool = False  # EDITS: the first post waits for the answer's first words

    @property
    def streamed(self) -> bool:
        """Whether the asker sees the answer grow (natively or by edits)."""
        return self.delivery is not Delivery.ONCE


class Planner:
    """The per-workspace (and per-channel) windows shared by every reply and process."""

    def __init__(
        self,
        store: Store,
        *,
        per_minute: int = EDITS_PER_MINUTE,
        streams_per_minute: int = STREAMS_PER_MINUTE,
        appends_per_minute: int = APPENDS_PER_MINUTE,
        post_burst: int = POST_BURST,
        posts_per_second: float = POSTS_PER_SECOND,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        queued_notice_after: float = QUEUED_NOTICE_SECONDS,
    ) -> None:
        self._store = store
        self._limits = {
            "chat.update": per_minute,
            STREAM_WINDOW: streams_per_minute,
            "chat.appendStream": appends_per_minute,
        }
        self._posts = (max(1, post_burst - 1), posts_per_second)  # slots back, slot rate
        self._clock = clock
        self._sleep = sleep
        self._notice_after = queued_notice_after
        self._pauses_seen: dict[str, tuple[bool, float]] = {}
        self._in_flight: Counter[tuple[str, str]] = Counter()  # (workspace, window) → replies
        self._lines: dict[tuple[str, str], _Line] = {}  # (workspace, channel) → posts in line

    async def _take(self, window: str, workspace: str, *, tokens: int, leave: int = 0) -> bool:
        # tokens=0 only asks whether the window has room for `leave` more.
        return await self._store.take(
            f"docsbot:budget:{workspace}:{window}",
            tokens=tokens,
            limit=self._limits[window] - leave,
            window=WINDOW_SECONDS,
            now=self._clock(),
        )

    def _low_water(self, window: str) -> int:
        """What intermediate writes leave in a window: room for finals still to come."""
        return self._limits[window] // 2

    # --- plans ------------------------------------------------------------------------

    async def plan_reply(self, workspace: str, *, native: bool, prefer_native: bool) -> Plan:
        """Plan a new reply from every budget (the order of the module docstring).

        native: the reply may stream natively (a thread, a known asker, the mode allows);
        prefer_native: try native first (DM threads in auto mode, and STREAM_MODE=native).
        """
        roomy = self._low_water("chat.update")  # placeholders only while the window is roomy
        if native and prefer_native:
            plan = await self.plan_native(workspace, keep=roomy)
        else:
            plan = await self.plan(workspace, keep=roomy)
            if not plan.streamed and native and await self._native_room(workspace):
                return Plan(Delivery.NATIVE)
        return plan if plan.streamed else await self.plan_shown(workspace)

    async def plan(self, workspace: str, *, keep: int = 0) -> Plan:
        """Stream by edits only if the final edit and one showing the answer can be reserved
        (leaving `keep` edits in the window).

        Reserving the first intermediate edit too means every streamed reply shows its
        answer growing at least once; without it, a burst would get many placeholders that
        jump straight to the final answer.
        """
        if await self.paused("chat.update"):
            return Plan(Delivery.ONCE)
        streamed = await self._take("chat.update", workspace, tokens=2, leave=keep)
        return Plan(Delivery.EDITS, reserved_edits=1) if streamed else Plan(Delivery.ONCE)

    async def plan_shown(self, workspace: str) -> Plan:
        """Plan edits of a message that shows (or will be posted with) the first words: only
        its final edit is reserved."""
        if await self.paused("chat.update"):
            return Plan(Delivery.ONCE)
        if await self._take("chat.update", workspace, tokens=1):
            return Plan(Delivery.EDITS, first_words=True)
        return Plan(Delivery.ONCE)

    async def plan_native(self, workspace: str, *, keep: int = 0) -> Plan:
        """Stream natively if start and stop can be reserved and one append fits; else plan()."""
        if await self._native_room(workspace):
            return Plan(Delivery.NATIVE)
        return await self.plan(workspace, keep=keep)

    async def _native_room(self, workspace: str) -> bool:
        for method in STREAM_METHODS:
            if await self.paused(method):
                return False
        if not await self._take("chat.appendStream", workspace, tokens=0, leave=1):
            return False
        return await self._take(STREAM_WINDOW, workspace, tokens=1)

    # --- intermediate writes ----------------------------------------------------------

    @contextmanager
    def streaming(self, workspace: str, delivery: Delivery) -> Iterator[None]:
        """Count a reply as in flight (its fair share of intermediate writes) while inside."""
        key = (workspace, _window_of(delivery))
        self._in_flight[key] += 1
        try:
            yield
        finally:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]

    def edit_interval(self, workspace: str, delivery: Delivery, base: float) -> float:
        """Seconds between two intermediate writes of one reply: base, or a fair share.

        The upper half of the window is shared by the replies in flight in this process:
        while this reply waits, each of the others may write once, so the spare writes of
        a minute go round them all instead of to whichever reply asks first.
        """
        window = _window_of(delivery)
        spare = max(1, self._limits[window] - self._low_water(window))
        others = self._in_flight[(workspace, window)] - 1
        return max(base, others * WINDOW_SECONDS / spare)

    async def try_edit(self, workspace: str, *, intermediate: bool = False) -> bool:
        """Spend one edit if the window has room (intermediate ones: above the low water)."""
        if await self.paused("chat.update"):
            return False
        leave = self._low_water("chat.update") if intermediate else 0
        return await self._take("chat.update", workspace, tokens=1, leave=leave)

    async def try_append(self, workspace: str, *, intermediate: bool = False) -> bool:
        """Spend one chat.appendStream if the window has room."""
        if await self.paused("chat.appendStream"):
            return False
        leave = self._low_water("chat.appendStream") if intermediate else 0
        return await self._take("chat.appendStream", workspace, tokens=1, leave=leave)

    # --- posts ------------------------------------------------------------------------

    async def post_slot(
        self, workspace: str, channel: str, *, waiting: Callable[[], Awaitable[None]]
    ) -> None:
        """Wait, in line, until channel's post window has room; spend it.

        waiting() is awaited once if the post is still in line ``queued_notice_after``
        seconds after it asked, so the reply can say it is queued.
        """
        key = (workspace, channel)
        line = self._lines.setdefault(key, _Line())
        me = _Waiter(self._clock(), waiting)
        line.waiters.append(me)
        try:
            async with line.turn:  # asyncio.Lock wakes waiters in order: first come, first posted
                await self._wait_for_room(workspace, channel, line)
        finally:
            line.waiters.remove(me)
            if not line.waiters:
                self._lines.pop(key, None)

    async def _wait_for_room(self, workspace: str, channel: str, line: _Line) -> None:
        while not await self._book_slot(workspace, channel):
            # The head of the line keeps the time for everyone behind it.
            for waiter in list(line.waiters):
                if not waiter.told and self._clock() - waiter.since >= self._notice_after:
                    waiter.told = True
                    await waiter.waiting()
            rate = self._posts[1]
            await self._sleep((1.0 - (self._clock() * rate) % 1.0) / rate)  # the next slot

    async def _book_slot(self, workspace: str, channel: str) -> bool:
        slots, rate = self._posts
        now = math.floor(self._clock() * rate)
        for slot in range(now - slots + 1, now + 1):  # the oldest free slot first
            key = f"docsbot:post:{workspace}:{channel}:{slot}"
            if await self._store.add(key, "1", (slots + 1) / rate):
                return True
        return False

    # --- pauses -----------------------------------------------------------------------

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


@dataclass(slots=True)
class _Waiter:
    """A post in its channel's line: since when, and whether it said it is queued."""

    since: float
    waiting: Callable[[], Awaitable[None]]
    told: bool = False


@dataclass(slots=True)
class _Line:
    """The posts waiting for one channel's window, served in order."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiters: list[_Waiter] = field(default_factory=list)


def _window_of(delivery: Delivery) -> str:
    return "chat.appendStream" if delivery is Delivery.NATIVE else "chat.update"


class LearningRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (waits Retry-After, retries), which also tells the planner."""

    def __init__(self, planner: Planner, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._planner = planner

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
            # A post's limit is its channel's, already queued for: pausing every post would
            # hold up all channels for one.
            if method != "chat.postMessage":
                await self._planner.pause(method, retry_after)
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


def retry_handlers(planner: Planner, *, max_retry_count: int) -> list[AsyncRetryHandler]:
    """The Slack client's retry handlers: 429s are waited out and remembered."""
    return [LearningRateLimitHandler(planner, max_retry_count=max_retry_count)]
