"""Answers in flight: registered from the ack on (so a shutdown waits for them, then closes
them), and counted in the metrics (in flight, how each ended, when its first text came)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from bot.metrics import Metrics
from bot.models import Answer, AnswerUpdate


class Tracked:
    """Registers the current task as an answer in flight for as long as the block runs."""

    def __init__(self, registry: set[asyncio.Task[Any]]) -> None:
        self._registry = registry
        self._task = asyncio.current_task()
        self._added = False  # nested blocks: the outermost one unregisters

    def __enter__(self) -> None:
        if self._task is not None and self._task not in self._registry:
            self._registry.add(self._task)
            self._added = True

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None and self._added:
            self._registry.discard(self._task)


class Counted:
    """One answer being written, in the metrics: in flight, how it ended, its first text."""

    def __init__(self, metrics: Metrics, surface: str) -> None:
        self._metrics = metrics
        self._surface = surface
        self._started = time.monotonic()
        self._outcome = "error"  # until the reply says how it ended

    def __enter__(self) -> Counted:
        self._metrics.answers_in_flight.inc()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._metrics.answers_in_flight.dec()
        if exc_type is not None and issubclass(exc_type, asyncio.CancelledError):
            self._outcome = "interrupted"
        self._metrics.questions.labels(surface=self._surface, outcome=self._outcome).inc()

    def ended(self, final: Answer | None) -> None:
        """The reply is complete (None: the asker stopped it)."""
        self._outcome = final.outcome.value if final is not None else "stopped"

    async def timed(
        self, updates: AsyncIterator[AnswerUpdate]
    ) -> AsyncGenerator[AnswerUpdate, None]:
        """Pass updates on, timing the first one: the first text Slack is given."""
        first = True
        async for update in updates:
            if first:
                self._metrics.answer_first_text.observe(time.monotonic() - self._started)
                first = False
            yield update
