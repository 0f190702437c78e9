from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as redis

from bot.store import (
    CircuitBreaker,
    Claim,
    MemoryStore,
    RedisStore,
    ResilientStore,
    Store,
    redis_retry,
)
from tests.fakes.redis_server import RedisServer
from tests.support import FakeClock


async def test_set_then_get(store: Store) -> None:
    await store.set("docsbot:k", "v", 60)
    assert await store.get("docsbot:k") == "v"
    assert await store.get("docsbot:other") is None


async def test_add_is_first_writer_wins(store: Store) -> None:
    assert await store.add("docsbot:seen:e1", "1", 60) is True
    assert await store.add("docsbot:seen:e1", "1", 60) is False
    assert await store.add("docsbot:seen:e2", "1", 60) is True


async def test_take_fills_a_sliding_window_up_to_its_limit(store: Store) -> None:
    def take(now: float) -> Awaitable[bool]:
        return store.take("docsbot:rate:x", tokens=1, limit=2, window=60, now=now)

    assert [await take(100.0), await take(100.0), await take(100.0)] == [True, True, False]
    assert await take(160.0) is True  # the first two left the window
    assert await store.take("docsbot:rate:x", tokens=2, limit=2, window=60, now=160.0) is False


async def test_redis_values_carry_their_ttl(redis_url: str, redis_key_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisStore(client, prefix=redis_key_prefix)
    try:
        await store.set("docsbot:a", "v", 30)
        await store.add("docsbot:b", "v", 600)
        await store.take("docsbot:c", tokens=1, limit=5, window=60, now=1.0)
        ttls = [await client.pttl(redis_key_prefix + k) for k in ("docsbot:a", "docsbot:b")]
        assert 29_000 < ttls[0] <= 30_000 and 599_000 < ttls[1] <= 600_000
        assert 59_000 < await client.pttl(redis_key_prefix + "docsbot:c") <= 60_000
    finally:
        await client.aclose()


async def test_memory_store_expires_by_its_clock() -> None:
    clock = FakeClock(0.0)
    store = MemoryStore(clock=clock)
    await store.set("k", "v", 10)
    assert await store.add("n", "1", 10) is True
    clock.now = 9.9
    assert await store.get("k") == "v"
    assert await store.add("n", "1", 10) is False
    clock.now = 10.0
    assert await store.get("k") is None
    assert await store.add("n", "1", 10) is True


async def test_memory_store_stays_bounded() -> None:
    store = MemoryStore(max_keys=10)
    for i in range(100):
        await store.set(f"k{i}", "v", 60)
    assert await store.get("k99") == "v"
    assert await store.get("k0") is None


async def test_health_reports_memory_or_ok(store: Store) -> None:
    assert await store.health() in ("memory", "ok")


async def test_resilient_store_survives_redis_going_down_and_coming_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1, socket_connect_timeout=1)
    store = ResilientStore(RedisStore(client), MemoryStore())
    try:
        await store.set("docsbot:k", "before", 60)
        assert await store.health() == "ok"
        redis_server.stop()
        assert await store.health() == "down"
        assert await store.add("docsbot:seen:e1", "1", 60) is True  # served from memory
        assert await store.add("docsbot:seen:e1", "1", 60) is False
        assert await store.take("docsbot:rate:u", tokens=1, limit=1, window=60, now=0.0)
        warnings = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
        assert len(warnings) == 1  # one warning per outage, not one per call
        redis_server.start()
        assert await store.health() == "ok"  # the health check ends the breaker's cool-down
        await store.set("docsbot:k", "after", 60)
        assert await client.get("docsbot:k") == b"after"
    finally:
        await client.aclose()


async def test_push_keeps_the_newest_items_first_up_to_the_cap(store: Store) -> None:
    for n in range(5):
        await store.push("docsbot:list:a", f"v{n}", cap=3, ttl=60)
    assert await store.recent("docsbot:list:a") == ["v4", "v3", "v2"]
    assert await store.recent("docsbot:list:none") == []


async def test_redis_list_carries_its_ttl(redis_url: str, redis_key_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        await RedisStore(client, prefix=redis_key_prefix).push("docsbot:l", "v", cap=10, ttl=90)
        assert 89_000 < await client.pttl(redis_key_prefix + "docsbot:l") <= 90_000
    finally:
        await client.aclose()


async def test_memory_list_expires_by_its_clock() -> None:
    clock = FakeClock(0.0)
    store = MemoryStore(clock=clock)
    await store.push("l", "a", cap=10, ttl=10)
    clock.now = 5.0
    await store.push("l", "b", cap=10, ttl=10)  # a push renews the list's TTL
    clock.now = 14.9
    assert await store.recent("l") == ["b", "a"]
    clock.now = 15.0
    assert await store.recent("l") == []


async def test_resilient_store_lists_fall_back_to_memory(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1, socket_connect_timeout=1)
    store = ResilientStore(RedisStore(client), MemoryStore())
    try:
        await store.push("docsbot:l", "in-redis", cap=10, ttl=60)
        assert await store.recent("docsbot:l") == ["in-redis"]
        redis_server.stop()
        await store.push("docsbot:l", "in-memory", cap=10, ttl=60)
        assert await store.recent("docsbot:l") == ["in-memory"]
        redis_server.start()
        assert await store.health() == "ok"
        assert await store.recent("docsbot:l") == []  # the restarted server kept nothing
    finally:
        await client.aclose()


async def test_a_value_without_ttl_is_kept(redis_url: str, redis_key_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisStore(client, prefix=redis_key_prefix)
    try:
        await store.set("docsbot:config", "v", None)
        assert await store.get("docsbot:config") == "v"
        assert await client.pttl(redis_key_prefix + "docsbot:config") == -1  # no expiry
    finally:
        await client.aclose()


async def test_breaker_skips_a_hung_redis_after_one_timeout(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=0.3)
    clock = FakeClock(0.0)
    store = ResilientStore(RedisStore(client), MemoryStore(), CircuitBreaker(5.0, clock=clock))
    try:
        await store.set("docsbot:k", "before", 60)
        redis_server.pause()
        try:
            await store.set("docsbot:k", "during", 60)  # times out once, then memory
            assert store.breaker.open
            assert await store.get("docsbot:k") == "during"  # no second timeout: Redis skipped
        finally:
            redis_server.resume()
        clock.now = 5.0  # cool-down over: the next call probes Redis and closes the breaker
        await store.set("docsbot:k", "after", 60)
        assert not store.breaker.open
        assert await client.get("docsbot:k") == b"after"
    finally:
        await client.aclose()


async def test_memory_store_keeps_a_value_without_ttl() -> None:
    clock = FakeClock(0.0)
    store = MemoryStore(clock=clock)
    await store.set("k", "v", None)
    clock.now = 10.0**9
    assert await store.get("k") == "v"


async def test_claims_made_during_an_outage_are_written_back(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1, socket_connect_timeout=1)
    store = ResilientStore(RedisStore(client), MemoryStore())
    other = RedisStore(client)  # another process on the same Redis
    try:
        redis_server.stop()
        assert await store.claim("docsbot:seen:event:E1", 60) is Claim.LOCAL
        assert await store.claim("docsbot:seen:event:E1", 60) is Claim.TAKEN  # memory knows
        redis_server.start()
        assert await store.health() == "ok"  # Redis back: the outage's claims are written back
        assert await other.claim("docsbot:seen:event:E1", 60) is Claim.TAKEN
        assert await store.claim("docsbot:seen:event:E2", 60) is Claim.WON
    finally:
        await client.aclose()


async def _fill(admin: redis.Redis) -> None:
    await admin.config_set("maxmemory", "1")  # OOM under noeviction, Redis's default policy


async def _demote(admin: redis.Redis) -> None:
    await admin.execute_command("REPLICAOF", "127.0.0.1", "1")  # READONLY, master unreachable


async def _lock(admin: redis.Redis) -> None:
    await admin.config_set("requirepass", "now-required-0000")
    await admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")  # NOAUTH


@pytest.mark.parametrize(
    "refuse",
    [
        pytest.param(_fill, id="oom"),
        pytest.param(_demote, id="read-only-replica"),
        pytest.param(_lock, id="password-turned-on"),
    ],
)
async def test_a_redis_refusing_writes_is_degraded_and_claims_stay_single(
    redis_server: RedisServer, refuse: Callable[[redis.Redis], Awaitable[None]]
) -> None:
    admin = redis.Redis.from_url(redis_server.url)
    client = redis.Redis.from_url(redis_server.url, retry=redis_retry())  # as the service's
    store = ResilientStore(RedisStore(client), MemoryStore())
    try:
        assert await store.claim("docsbot:seen:event:E1", 60) is Claim.WON
        await refuse(admin)
        assert await store.health() == "degraded"
        assert await store.claim("docsbot:seen:event:E1", 60) is Claim.TAKEN  # remembered
        assert await store.claim("docsbot:seen:event:E2", 60) is Claim.LOCAL  # not in Redis
    finally:
        await client.aclose()
        await admin.aclose()


async def test_a_full_redis_is_degraded_and_values_are_read_where_written(
    redis_server: RedisServer,
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    store = ResilientStore(RedisStore(client), MemoryStore())
    try:
        await store.set("docsbot:answer", "old", 60)
        await client.config_set("maxmemory", "1")
        await store.set("docsbot:answer", "new", 60)  # refused by Redis: kept in memory
        assert await store.health() == "degraded"
        assert await store.get("docsbot:answer") == "new"  # not Redis's stale "old"
        await client.config_set("maxmemory", "0")
        assert await store.health() == "ok"
        assert await store.get("docsbot:answer") == "old"  # memory only bridged the gap
    finally:
        await client.config_set("maxmemory", "0")
        await client.aclose()
