"""Key-value store behind the cache, de-duplication, thread history and rate limits.

``RedisStore`` when ``REDIS_URL`` is set, ``MemoryStore`` otherwise; both keep values as
strings (JSON documents written by their users) under namespaced keys with a TTL.
``ResilientStore`` puts Redis first and falls back to memory while Redis is down (a
circuit breaker skips it for a cool-down after it failed to answer, so an outage costs a
question at most one short timeout) or refuses writes (full, read-only, password turned on:
"degraded"). Claims made in memory meanwhile are written back to Redis when it takes writes
again, and every claim is also kept in memory, so neither a restart of Redis nor a flapping
connection lets one event be claimed twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Literal, Protocol, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

Health = Literal["ok", "memory", "degraded", "down"]
Clock = Callable[[], float]
T = TypeVar("T")

# Redis answered but said no (OOM under maxmemory noeviction, READONLY replica, NOAUTH or
# WRONGPASS once a password is required): it is up, but what we write does not stay there.
REFUSALS: tuple[type[RedisError], ...] = (ResponseError, AuthenticationError, AuthorizationError)
BREAKER_COOLDOWN_SECONDS = 5.0
_PROBE_KEY = "docsbot:health:probe"


def redis_retry() -> Retry:
    """One immediate retry on a dropped connection (Redis restarted, an idle connection cut),
    none on a timeout: a hung Redis costs one timeout, then the breaker skips it."""
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


class Claim(StrEnum):
    """The outcome of claiming a key (first writer wins)."""

    WON = "won"
    TAKEN = "taken"
    LOCAL = "local"  # won in this process only: Redis could not record it


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

    async def claim(self, key: str, ttl: float) -> Claim:
        """Claim key for ttl: WON, TAKEN, or LOCAL (won, but only this process knows)."""
        ...

    async def health(self) -> Health:
        """Report "ok", "memory" (no Redis configured), "degraded" (writes refused) or "down"."""
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

    async def claim(self, key: str, ttl: float) -> Claim:
        return Claim.WON if await self.add(key, "1", ttl) else Claim.TAKEN

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
        # A write, not a PING: a full, read-only or password-protected Redis still answers PING.
        try:
            await self._redis.set(self._prefix + _PROBE_KEY, "1", px=10_000)
        except REFUSALS:
            return "degraded"
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


class CircuitBreaker:
    """Skips Redis for a cool-down after it failed to answer; then one call probes it."""

    def __init__(self, cooldown: float = BREAKER_COOLDOWN_SECONDS, clock: Clock = time.monotonic):
        self._cooldown = cooldown
        self._clock = clock
        self._open_until: float | None = None
        self._probing = False

    @property
    def open(self) -> bool:
        """Whether Redis is being skipped (it failed and has not answered since)."""
        return self._open_until is not None

    def allows(self) -> bool:
        """Whether this call may try Redis (closed, or the one probe after a cool-down)."""
        if self._open_until is None:
            return True
        if self._probing or self._clock() < self._open_until:
            return False
        self._probing = True
        return True

    def failed(self) -> None:
        """Redis did not answer: skip it for a cool-down."""
        self._open_until = self._clock() + self._cooldown
        self._probing = False

    def answered(self) -> bool:
        """Redis answered; return whether it had been skipped until now."""
        was_open = self._open_until is not None
        self._open_until = None
        self._probing = False
        return was_open

    def abandoned(self) -> None:
        """A probe was cancelled before Redis said anything: let the next call probe."""
        self._probing = False


class ResilientStore:
    """Redis first; the in-process store while Redis fails or refuses writes.

    Every claim is also recorded in memory (checked in both): a claim made here while Redis
    could not record it is written back with ``SET NX`` once Redis takes writes again (if
    the key is taken by then, another process claimed that event too, during the outage).
    Values written in memory meanwhile are read first ("read where you write") and dropped
    when Redis is whole again.
    """

    def __init__(
        self, primary: RedisStore, fallback: MemoryStore, breaker: CircuitBreaker | None = None
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._claims = MemoryStore()
        self._local_claims: set[str] = set()  # claims Redis has not recorded yet
        self._breaker = breaker or CircuitBreaker()
        self._refusing = False  # Redis answers but refuses writes
        self._writing_back = False

    @property
    def breaker(self) -> CircuitBreaker:
        """The breaker other Redis users (the reply journal) share with the store."""
        return self._breaker

    async def _either(
        self,
        primary: Callable[[], Awaitable[T]],
        fallback: Callable[[], Awaitable[T]],
        *,
        write: bool,
    ) -> T:
        # write: a success proves Redis takes writes again (a plain SET; not scripts, which
        # a full Redis may still run, nor reads).
        if not self._breaker.allows():
            return await fallback()
        try:
            value = await primary()
        except REFUSALS as exc:
            self._breaker.answered()
            self._refused(exc)
            return await fallback()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return await fallback()
        except BaseException:
            self._breaker.abandoned()
            raise
        await self._answered(wrote=write)
        return value

    def _failed(self, exc: Exception) -> None:
        if not self._breaker.open:
            logger.warning("redis unavailable, using the in-process store: %s", exc)
        self._breaker.failed()

    def _refused(self, exc: Exception) -> None:
        if not self._refusing:
            logger.warning("redis refuses writes, using the in-process store: %s", exc)
        self._refusing = True

    async def _answered(self, *, wrote: bool) -> None:
        recovered = self._breaker.answered()
        if wrote and self._refusing:
            self._refusing, recovered = False, True
        if recovered and not self._refusing:
            logger.warning("redis is back")
            self._fallback.clear()  # Redis is the truth again; memory only bridged the gap
            await self._write_back()

    async def _write_back(self) -> None:
        """Record in Redis the claims made while it could not take them."""
        if self._writing_back:
            return
        self._writing_back = True
        try:
            for key in sorted(self._local_claims):
                ttl = self._claims.remaining(key)
                if ttl is not None and not await self._primary.add(key, "1", ttl):
                    logger.warning("claim %s made during the outage was also made elsewhere", key)
                self._local_claims.discard(key)
        except (RedisError, OSError) as exc:
            logger.info("write-back of outage claims stopped: %s", exc)
        finally:
            self._writing_back = False

    async def get(self, key: str) -> str | None:
        local = await self._fallback.get(key)
        if local is not None:
            return local
        return await self._either(
            lambda: self._primary.get(key), lambda: self._fallback.get(key), write=False
        )

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        await self._either(
            lambda: self._primary.set(key, value, ttl),
            lambda: self._fallback.set(key, value, ttl),
            write=True,
        )

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return await self.claim(key, ttl) is not Claim.TAKEN

    async def claim(self, key: str, ttl: float) -> Claim:
        if not await self._claims.add(key, "1", ttl):
            return Claim.TAKEN  # claimed by this process, maybe while Redis was away

        async def in_redis() -> Claim:
            return await self._primary.claim(key, ttl)

        async def here_only() -> Claim:
            self._local_claims.add(key)
            return Claim.LOCAL

        return await self._either(in_redis, here_only, write=True)

    async def take(self, key: str, *, tokens: int, limit: int, window: float, now: float) -> bool:
        return await self._either(
            lambda: self._primary.take(key, tokens=tokens, limit=limit, window=window, now=now),
            lambda: self._fallback.take(key, tokens=tokens, limit=limit, window=window, now=now),
            write=False,  # a script: a full Redis may still run it, so it proves nothing
        )

    async def push(self, key: str, value: str, *, cap: int, ttl: float) -> None:
        await self._either(
            lambda: self._primary.push(key, value, cap=cap, ttl=ttl),
            lambda: self._fallback.push(key, value, cap=cap, ttl=ttl),
            write=False,
        )

    async def recent(self, key: str) -> list[str]:
        local = await self._fallback.recent(key)
        if local:
            return local
        return await self._either(
            lambda: self._primary.recent(key), lambda: self._fallback.recent(key), write=False
        )

    async def health(self) -> Health:
        # Always probed (one short timeout at worst): the health check is how an outage ends.
        health = await self._primary.health()
        if health == "down":
            self._failed(ConnectionError("health check"))
        elif health == "degraded":
            self._breaker.answered()
            self._refused(ConnectionError("health check write refused"))
        else:
            await self._answered(wrote=True)
        return health
