"""Single-flight: concurrent identical questions share one Ask stream.

The first asker starts a flight (a background task that runs the Ask); everyone asking
the same question meanwhile follows it, seeing the latest draft and the same final
answer. Followers never hold the flight up: each keeps its own position. When every
follower has left before the answer landed (the asker pressed Stop in Slack, or the reply
was cancelled), nobody wants the answer any more: the flight is called off, which closes
its Ask stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from bot.models import Answer, Draft


class Flight:
    """The shared progress of one Ask: the latest draft, then the final answer or a failure."""

    def __init__(self) -> None:
        self._draft: Draft | None = None
        self._version = 0
        self._final: Answer | None = None
        self._failure: BaseException | None = None
        self._changed = asyncio.Event()
        self._followers = 0
        self._runner: asyncio.Task[None] | None = None

    def _wake(self) -> None:
        self._version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def run_by(self, runner: asyncio.Task[None]) -> None:
        """Name the task that runs the Ask: the one to call off if every follower leaves."""
        self._runner = runner

    def publish(self, draft: Draft) -> None:
        """Make draft the latest state."""
        self._draft = draft
        self._wake()

    def land(self, final: Answer) -> None:
        """End the flight with its final answer."""
        self._final = final
        self._wake()

    def fail(self, failure: BaseException) -> None:
        """End the flight without an answer; followers see the failure."""
        self._failure = failure
        self._wake()

    async def follow(self) -> AsyncGenerator[Draft | Answer, None]:
        """Yield the latest draft whenever it changes, then the final answer."""
        self._followers += 1
        try:
            seen = 0
            while True:
                if self._final is not None:
                    yield self._final
                    return
                if self._failure is not None:
                    raise RuntimeError("the shared answer failed") from self._failure
                if self._version != seen and self._draft is not None:
                    seen = self._version
                    yield self._draft
                    continue
                seen = self._version
                await self._changed.wait()
        finally:
            self._followers -= 1
            if self._followers == 0:
                self._abandoned()

    def _abandoned(self) -> None:
        if self._final is None and self._failure is None and self._runner is not None:
            self._runner.cancel()
