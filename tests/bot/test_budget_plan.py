"""The edit budget and delivery plan, on a fake clock (deterministic, no sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.budget import EditBudget
from bot.store import MemoryStore, RedisStore, Store


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_key_prefix: str) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisStore(client, prefix=redis_key_prefix)
    finally:
        await client.aclose()


async def test_streams_while_the_final_edit_and_one_more_fit(store: Store) -> None:
    budget = EditBudget(store, per_minute=5, clock=Clock())
    plans = [(await budget.plan("T1")).streamed for _ in range(6)]
    # Each stream reserves its final edit and needs room for one more: 4 of 5 slots.
    assert plans == [True, True, True, True, False, False]


async def test_intermediate_edits_spend_what_is_left_never_the_reserved_finals(
    store: Store,
) -> None:
    budget = EditBudget(store, per_minute=5, clock=Clock())
    assert (await budget.plan("T1")).streamed  # 1 reserved
    assert [await budget.try_edit("T1") for _ in range(5)] == [True, True, True, True, False]
    assert not (await budget.plan("T1")).streamed  # a new reply is delivered once


async def test_the_window_slides(store: Store) -> None:
    clock = Clock()
    budget = EditBudget(store, per_minute=2, clock=clock)
    assert [await budget.try_edit("T1") for _ in range(3)] == [True, True, False]
    clock.now += 30
    assert await budget.try_edit("T1") is False
    clock.now += 30.001
    assert await budget.try_edit("T1") is True


async def test_workspaces_have_separate_windows(store: Store) -> None:
    budget = EditBudget(store, per_minute=1, clock=Clock())
    assert await budget.try_edit("T1") is True
    assert await budget.try_edit("T1") is False
    assert await budget.try_edit("T2") is True


async def test_a_pause_after_429_stops_new_streams_and_edits(store: Store) -> None:
    budget = EditBudget(store, per_minute=50, clock=Clock())
    await budget.pause("chat.update", 30)
    assert await budget.paused("chat.update")
    assert not (await budget.plan("T1")).streamed
    assert await budget.try_edit("T1") is False
    assert not await budget.paused("chat.postMessage")


async def test_two_processes_share_one_window_through_redis(
    redis_url: str, redis_key_prefix: str
) -> None:
    clock = Clock()
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        budgets = [
            EditBudget(RedisStore(c, prefix=redis_key_prefix), per_minute=3, clock=clock)
            for c in clients
        ]
        spent = [await budgets[i % 2].try_edit("T1") for i in range(5)]
    finally:
        for client in clients:
            await client.aclose()
    assert spent == [True, True, True, False, False]
