"""Redis first, memory while Redis fails or refuses writes; a circuit breaker in front.

A breaker skips Redis for a cool-down after it failed to answer, so an outage costs a question
at most one short timeout; a Redis that refuses writes (full, read-only, password turned on) is
"degraded". Claims made in memory meanwhile are written back to Redis when it takes writes
again, and every claim is also kept in memory, so neither a restart of Redis nor a flapping
connection lets one event be claimed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import (
    RedisError,
)

from bot.store.base import BREAKER_COOLDOWN_SECONDS, REFUSALS, Claim, Clock, Health, T
from bot.store.memory import MemoryStore
from bot.store.redis_store import RedisStore

logger = logging.getLogger(__name__)


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
