"""The key-value store behind the cache, de-duplication, thread history, rate limits and the
reply journal: one protocol (``Store``), Redis or memory behind it (see bot/store/base.py)."""

from bot.store.base import (
    BREAKER_COOLDOWN_SECONDS,
    REFUSALS,
    Claim,
    Health,
    Store,
    redis_retry,
)
from bot.store.memory import MemoryStore
from bot.store.redis_store import RedisStore
from bot.store.resilient import CircuitBreaker, ResilientStore

__all__ = [
    "BREAKER_COOLDOWN_SECONDS",
    "REFUSALS",
    "CircuitBreaker",
    "Claim",
    "Health",
    "MemoryStore",
    "RedisStore",
    "ResilientStore",
    "Store",
    "redis_retry",
]
