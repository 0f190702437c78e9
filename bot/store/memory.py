"""The in-process store: the same behaviour as Redis for what the bot uses, in one process."""

from __future__ import annotations

import time
from collections import deque

from bot.store.base import Claim, Clock, Health


class MemoryStore:
    """An in-process store with the same behaviour as Redis for what the bot uses."""

    def __init__(self, clock: Clock = time.monotonic, max_keys: int = 50_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._data: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, deque[float]] = {}
        self._lists: dict[str, tuple[list[str], float]] = {}

    def _live(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._data[key]
            return None
        return entry[0]

    def _put(self, key: str, value: str, ttl: float | None) -> None:
        if len(self._data) >= self._max_keys and key not in self._data:
            self._evict()
        self._data[key] = (value, self._clock() + ttl if ttl is not None else float("inf"))

    def _evict(self) -> None:
        now = self._clock()
        for key in [k for k, (_, expires) in self._data.items() if expires <= now]:
            del self._data[key]
        while len(self._data) >= self._max_keys:
            del self._data[next(iter(self._data))]

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        self._put(key, value, ttl)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def claim(self, key: str, ttl: float) -> Claim:
        return Claim.WON if await self.add(key, "1", ttl) else Claim.TAKEN

    def remaining(self, key: str) -> float | None:
        """Seconds key has left, or None when it is absent."""
        entry = self._data.get(key)
        if entry is None or self._live(key) is None:
            return None
        return entry[1] - self._clock()

    def keys(self) -> list[str]:
        """The keys held (expired ones included until they are next touched)."""
        return list(self._data)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()
        self._windows.clear()
        self._lists.clear()

    async def take(self, key: str, *, tokens: int, limit: int, window: float, now: float) -> bool:
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) + tokens > limit:
            return False
        stamps.extend([now] * tokens)
        return True

    async def push(self, key: str, value: str, *, cap: int, ttl: float) -> None:
        items = await self.recent(key)
        self._lists[key] = ([value, *items][:cap], self._clock() + ttl)

    async def recent(self, key: str) -> list[str]:
        entry = self._lists.get(key)
        if entry is None or entry[1] <= self._clock():
            self._lists.pop(key, None)
            return []
        return list(entry[0])

    async def health(self) -> Health:
        return "memory"
