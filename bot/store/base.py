"""What the bot needs from a key-value store, and what both stores share.

``RedisStore`` (bot/store/redis_store.py) when ``REDIS_URL`` is set, ``MemoryStore``
(bot/store/memory.py) otherwise; ``ResilientStore`` (bot/store/resilient.py) puts Redis first
and memory behind it. All keep values as strings (JSON documents written by their users) under
namespaced keys with a TTL.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Literal, Protocol, TypeVar

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

Health = Literal["ok", "memory", "degraded", "down"]
Clock = Callable[[], float]
T = TypeVar("T")

# Redis answered but said no (OOM under maxmemory noeviction, READONLY replica, NOAUTH or
# WRONGPASS once a password is required): it is up, but what we write does not stay there.
REFUSALS: tuple[type[RedisError], ...] = (ResponseError, AuthenticationError, AuthorizationError)
BREAKER_COOLDOWN_SECONDS = 5.0
PROBE_KEY = "docsbot:health:probe"


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
