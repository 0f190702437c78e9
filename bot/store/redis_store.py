"""The store on Redis: plain string values with millisecond TTLs, shared by every process."""

from __future__ import annotations

import uuid

import redis.asyncio as redis
from redis.exceptions import (
    RedisError,
)

from bot.store.base import PROBE_KEY, REFUSALS, Claim, Health


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
            await self._redis.set(self._prefix + PROBE_KEY, "1", px=10_000)
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
