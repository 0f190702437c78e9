"""Store-backed guards: each Slack message answered once, each user within a rate."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from bot.slack.guards import DEDUPE_TTL_SECONDS, Deduplicator, UserRateLimit
from bot.store import MemoryStore, RedisStore, Store
from tests.support import FakeClock

# --- Deduplicator -------------------------------------------------------------------------------


async def test_first_time_then_never_again(store: Store) -> None:
    dedupe = Deduplicator(store)
    assert await dedupe.first_time("event", "Ev0001") is True
    assert await dedupe.first_time("event", "Ev0001") is False
    assert await dedupe.first_time("event", "Ev0001") is False


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(("event", "Ev1"), ("event", "Ev2"), id="other-event"),
        pytest.param(("event", "Ev1"), ("message", "Ev1"), id="other-kind"),
        pytest.param(
            ("message", "T1", "C1", "1.000100"), ("message", "T1", "C1", "1.000200"), id="other-ts"
        ),
        pytest.param(
            ("message", "T1", "C1", "1.000100"),
            ("message", "T1", "C2", "1.000100"),
            id="other-channel",
        ),
        pytest.param(
            ("message", "T1", "C1", "1.000100"),
            ("message", "T2", "C1", "1.000100"),
            id="other-team",
        ),
    ],
)
async def test_different_claims_are_independent(
    store: Store, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    dedupe = Deduplicator(store)
    assert await dedupe.first_time(*first) is True
    assert await dedupe.first_time(*second) is True


async def test_claims_expire_after_the_ttl() -> None:
    clock = FakeClock(1_700_000_000.0)
    dedupe = Deduplicator(MemoryStore(clock=clock))
    assert await dedupe.first_time("event", "Ev1")
    clock.now += DEDUPE_TTL_SECONDS - 1
    assert not await dedupe.first_time("event", "Ev1")  # Slack's retries (~5 min) stay deduped
    clock.now += 1
    assert await dedupe.first_time("event", "Ev1")


async def test_concurrent_claims_from_two_processes_have_one_winner(
    redis_url: str, redis_key_prefix: str
) -> None:
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        dedupes = [Deduplicator(RedisStore(c, prefix=redis_key_prefix)) for c in clients]
        claims = await asyncio.gather(
            *(dedupes[i % 2].first_time("message", "T1", "C1", "1.000100") for i in range(20))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sum(claims) == 1


# --- UserRateLimit ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [pytest.param(n, id=f"{n}-a-minute") for n in (1, 3, 10)])
async def test_allows_up_to_the_limit_per_minute(limit: int) -> None:
    rate = UserRateLimit(MemoryStore(), limit, clock=FakeClock(1_700_000_000.0))
    allowed = [await rate.allow("T1", "U1") for _ in range(limit + 2)]
    assert allowed == [True] * limit + [False, False]


async def test_next_minute_allows_again() -> None:
    clock = FakeClock(now=60.0 * 28_333_333)  # the start of a minute
    rate = UserRateLimit(MemoryStore(), 2, clock=clock)
    assert [await rate.allow("T1", "U1") for _ in range(3)] == [True, True, False]
    clock.now += 59.9
    assert await rate.allow("T1", "U1") is False
    clock.now += 0.1
    assert [await rate.allow("T1", "U1") for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize(
    ("workspace", "user"),
    [pytest.param("T1", "U2", id="other-user"), pytest.param("T2", "U1", id="same-id-other-team")],
)
async def test_each_user_has_their_own_limit(workspace: str, user: str) -> None:
    rate = UserRateLimit(MemoryStore(), 1, clock=FakeClock(1_700_000_000.0))
    assert await rate.allow("T1", "U1") is True
    assert await rate.allow("T1", "U1") is False
    assert await rate.allow(workspace, user) is True


@pytest.mark.parametrize("limit", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
async def test_limit_zero_turns_it_off(limit: int) -> None:
    rate = UserRateLimit(MemoryStore(), limit, clock=FakeClock(1_700_000_000.0))
    assert all([await rate.allow("T1", "U1") for _ in range(100)])


async def test_limit_is_shared_across_processes(redis_url: str, redis_key_prefix: str) -> None:
    clock = FakeClock(1_700_000_000.0)
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        rates = [
            UserRateLimit(RedisStore(c, prefix=redis_key_prefix), 3, clock=clock) for c in clients
        ]
        allowed = [await rates[i % 2].allow("T1", "U1") for i in range(5)]
    finally:
        for client in clients:
            await client.aclose()
    assert allowed == [True, True, True, False, False]
