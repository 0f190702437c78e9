"""Reading GitBook's Ask stream: one snapshot at a time, each within the chunk timeout, all
within the answer deadline.

Timeouts are loop-time budgets around each wait (never across a yield), because httpx's read
timeout is reset by any byte, SSE comments and keep-alives included (docs/gitbook.md §4-5).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bot.errors import AskStreamError, GitBookTimeout
from bot.gitbook.sse import Event, EventDecoder
from bot.gitbook.wire import parse_snapshot
from bot.models import AnswerSnapshot

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Budget:
    """How long an Ask may still wait: for its next chunk, and in all (loop time)."""

    timeout: float
    wait_until: float
    deadline: float

    @classmethod
    def start(cls, timeout: float, deadline: float, started_at: float | None) -> Budget:
        now = asyncio.get_running_loop().time()
        return cls(timeout, now + timeout, (now if started_at is None else started_at) + deadline)

    def restart_wait(self) -> None:
        self.wait_until = asyncio.get_running_loop().time() + self.timeout

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Bound one wait (never spanning a yield) by the chunk timeout and the deadline."""
        try:
            async with asyncio.timeout_at(min(self.wait_until, self.deadline)):
                yield
        except TimeoutError as exc:
            raise self._expired() from exc

    def _expired(self) -> GitBookTimeout:
        if self.wait_until < self.deadline:
            return GitBookTimeout(f"no answer chunk from GitBook in {self.timeout:g} s")
        error = GitBookTimeout("the answer was not finished by its deadline")
        error.transient = False  # the deadline is spent: a retry would outlive it
        return error


async def events_of(response: httpx.Response) -> AsyncGenerator[Event, None]:
    decoder = EventDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event


async def next_snapshot(
    events: AsyncGenerator[Event, None], budget: Budget
) -> AnswerSnapshot | None:
    """The next snapshot of the stream, or None once it has ended."""
    async with budget.waiting():
        async for event in events:
            if _is_done(event):
                return None
            snapshot = _snapshot_from(event)
            if snapshot is not None:
                return snapshot
    return None


def _is_done(event: Event) -> bool:
    return event.name == "done" or event.data.strip() == "done"


def _snapshot_from(event: Event) -> AnswerSnapshot | None:
    """A snapshot from any event but `error`, whatever its name (as GitBook's client reads)."""
    if event.name == "error":
        raise AskStreamError(_stream_error_message(event.data))
    try:
        chunk = json.loads(event.data)
    except ValueError:
        logger.warning("skipping a non-JSON Ask event (%s)", event.name)
        return None
    if not isinstance(chunk, dict) or chunk.get("type") != "answer":
        return None
    return parse_snapshot(chunk.get("answer"))


def _stream_error_message(data: str) -> str:
    try:
        return str(json.loads(data)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return data or "unknown error"
