"""Background work that must not delay an answer but must not be lost either."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

logger = logging.getLogger(__name__)


class BackgroundTasks:
    """Owns fire-and-forget tasks: keeps a reference, logs failures, awaits them on close."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run coro in the background; return its task."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def join(self, grace_seconds: float) -> None:
        """Wait up to grace_seconds for running tasks, then cancel what is left."""
        await finish_or_cancel(self._tasks, grace_seconds)


async def finish_or_cancel(tasks: Iterable[asyncio.Task[Any]], grace_seconds: float) -> None:
    """Let tasks run for up to grace_seconds, cancel the rest, and wait until all have ended."""
    running = set(tasks)
    if not running:
        return
    _, pending = await asyncio.wait(running, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
