"""Key-value store behind the cache, de-duplication, thread history and rate limits.

``RedisStore`` when ``REDIS_URL`` is set, ``MemoryStore`` otherwise; both keep values as
strings (JSON documents written by their users) under namespaced keys with a TTL.
``ResilientStore`` puts Redis first and falls back to memory while Redis is down, so a
Redis outage degrades the cache and de-duplication instead of failing questions.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Health = Literal["ok", "memory", "down"]
Clock = Callable[[], float]
T = TypeVar("T")


class Store(Protocol):
    """What the bot needs from a key-value store."""

    async def get(self, key: str) -> str | None:
        """Return the value at key, or None."""
        ...

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        """Store value at key for ttl seconds (None: keep it, for configuration)."""
        ...

    async def add(self, key: str, value: str, ttl: float) -> bool:
        """Store value only if key is absent; return whether it was stored."""
        ...

    async def take(self, key: str, *, tokens: int, limit: int, window: float, now: float) -> bool:
        """Add tokens to a sliding window if it then holds at most limit; say whether it did."""
        ...

    async def push(self, key: str, value: str, *, cap: int, ttl: float) -> None:
        """Prepend value to the list at key, keep its newest cap items, expire it ttl from now."""
        ...

    async def recent(self, key: str) -> list[str]:
        """Return the list at key, newest first (empty when there is none)."""
        ...

    async def health(self) -> Health:
        """Report "ok" (Redis answers), "memory" (no Redis configured) or "down"."""
        ...


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


class RedisStore:
    """The store on Redis: plain string values with millisecond TTLs."""

    def __init__(self, client: redis.Redis, *, prefix: str = "") -> None:
        self._redis = client
        self._prefix = prefix  # lets several deployments (or test runs) share one database
        self._take_script = client.register_script(_TAKE_SCRIPT)

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        await self._redis.set(self._prefix + key, value, px=_ms(ttl) if ttl is not None else None)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, px=_ms(ttl), nx=True))

    async def take(self, key: str, *, tokens: int, limit: int, window: float, now: float) -> bool:
        # One script, so processes sharing Redis never overspend a window between them.
        members = [f"{now}:{uuid.uuid4().hex}" for _ in range(tokens)]
        taken = await self._take_script(
            keys=[self._prefix + key], args=[now, window, limit, _ms(window), *members]
        )
        return bool(taken)

    async def push(self, key: str, value: str, *, cap: int, ttl: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self._prefix + key, value)
            pipe.ltrim(self._prefix + key, 0, cap - 1)
            pipe.pexpire(self._prefix + key, _ms(ttl))
            await pipe.execute()

    async def recent(self, key: str) -> list[str]:
        values = await self._redis.lrange(self._prefix + key, 0, -1)
        return [v.decode() if isinstance(v, bytes) else v for v in values]

    async def health(self) -> Health:
        try:
            await self._redis.ping()
        except (RedisError, OSError):
            return "down"
        return "ok"


_TAKE_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local tokens = #ARGV - 4
if redis.call('ZCARD', KEYS[1]) + tokens > tonumber(ARGV[3]) then return 0 end
for i = 5, #ARGV do redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class ResilientStore:
    """Redis first; the in-process store while Redis fails, with one warning per outage."""

    def __init__(self, primary: RedisStore, fallback: MemoryStore) -> None:
        self._primary = primary
        self._fallback = fallback
        self._down = False

    def _failed(self, exc: Exception) -> None:
        if not self._down:
            logger.warning("redis unavailable, using the in-process store: %s", exc)
        self._down = True

    def _recovered(self) -> None:
        if self._down:
            logger.warning("redis is back")
        self._down = False

    async def _either(
        self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        try:
            value = await primary()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return await fallback()
        self._recovered()
        return value

    async def get(self, key: str) -> str | None:
        return await self._either(lambda: self._primary.get(key), lambda: self._fallback.get(key))

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        await self._either(
            lambda: self._primary.set(key, value, ttl), lambda: self._fallback.set(key, value, ttl)
        )

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return await self._either(
            lambda: self._primary.add(key, value, ttl), lambda: self._fallback.add(key, value, ttl)
        )

    async def take(self, key: str, *, tokens: int, limit: int, window: float, now: float) -> bool:
        return await self._either(
            lambda: self._primary.take(key, tokens=tokens, limit=limit, window=window, now=now),
            lambda: self._fallback.take(key, tokens=tokens, limit=limit, window=window, now=now),
        )

    async def push(self, key: str, value: str, *, cap: int, ttl: float) -> None:
        await self._either(
            lambda: self._primary.push(key, value, cap=cap, ttl=ttl),
            lambda: self._fallback.push(key, value, cap=cap, ttl=ttl),
        )

    async def recent(self, key: str) -> list[str]:
        return await self._either(
            lambda: self._primary.recent(key), lambda: self._fallback.recent(key)
        )

    async def health(self) -> Health:
        health = await self._primary.health()
        if health == "ok":
            self._recovered()
        return health
