"""The outside world (fake Slack, fake GitBook, the load driver) on a thread of its own.

The bot runs on the main thread's event loop, alone, as it would in production where Slack and
GitBook are other machines: its callbacks never queue behind the fakes', and the main thread's
CPU time (`time.thread_time()`) is the bot's own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")


class OutsideWorld:
    """A thread running an event loop; coroutines are submitted to it and awaited from ours."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="bench-outside", daemon=True)

    def _serve(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            leftovers = asyncio.all_tasks(loop)  # none when every phase closed its fakes
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run coro on the outside loop; cancelling the caller cancels it there too."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    @asynccontextmanager
    async def inside(self, manager: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
        """Enter and exit an async context manager on the outside loop."""
        value = await self.run(_enter(manager))
        try:
            yield value
        except BaseException as exc:
            if not await self.run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            await self.run(manager.__aexit__(None, None, None))


async def _enter(manager: AbstractAsyncContextManager[T]) -> T:
    return await manager.__aenter__()
