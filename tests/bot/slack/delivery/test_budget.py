"""Planner on a fake clock: the per-workspace `chat.update` window, and learning from 429s."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery.planner import WINDOW_SECONDS, Planner, retry_handlers
from bot.store import MemoryStore, Store
from tests.fakes.slack_api import FakeSlack
from tests.support import FakeClock


@pytest.mark.parametrize("per_minute", [pytest.param(n, id=f"{n}-a-minute") for n in (1, 3, 45)])
async def test_spends_up_to_per_minute_then_refuses(store: Store, per_minute: int) -> None:
    budget = Planner(store, per_minute=per_minute, clock=FakeClock(5_000.0))
    spent = [await budget.try_edit("T1") for _ in range(per_minute + 2)]
    assert spent == [True] * per_minute + [False, False]


@pytest.mark.parametrize(
    ("later", "freed"),
    [
        pytest.param(1.0, False, id="1s"),
        pytest.param(WINDOW_SECONDS - 0.01, False, id="just-under-60s"),
        pytest.param(WINDOW_SECONDS, True, id="60s"),
        pytest.param(WINDOW_SECONDS * 5, True, id="5min"),
    ],
)
async def test_an_edit_frees_its_slot_60_seconds_later(
    store: Store, later: float, freed: bool
) -> None:
    clock = FakeClock(5_000.0)
    budget = Planner(store, per_minute=1, clock=clock)
    assert await budget.try_edit("T1")
    clock.now += later
    assert await budget.try_edit("T1") is freed


async def test_a_refused_edit_takes_no_slot(store: Store) -> None:
    clock = FakeClock(5_000.0)
    budget = Planner(store, per_minute=1, clock=clock)
    assert await budget.try_edit("T1")
    for _ in range(5):
        clock.now += 10
        assert not await budget.try_edit("T1")  # refusals are not counted ...
    clock.now += 10
    assert await budget.try_edit("T1")  # ... so 60 s after the only edit there is room


async def test_workspaces_are_independent(store: Store) -> None:
    budget = Planner(store, per_minute=2, clock=FakeClock(5_000.0))
    assert [await budget.try_edit("T1") for _ in range(3)] == [True, True, False]
    assert [await budget.try_edit("T2") for _ in range(3)] == [True, True, False]
    assert (await budget.plan("T3")).streamed
    assert await budget.try_edit("T1") is False  # T2 and T3 spending freed nothing in T1


async def test_reserved_final_edits_count(store: Store) -> None:
    clock = FakeClock(5_000.0)
    budget = Planner(store, per_minute=4, clock=clock)
    first = await budget.plan("T1")  # reserves the final edit and the first draft edit
    assert first.streamed and first.reserved_edits == 1
    assert (await budget.plan("T1")).streamed
    assert await budget.try_edit("T1") is False  # all four slots are reserved
    clock.now += WINDOW_SECONDS
    assert (await budget.plan("T1")).streamed


async def test_budgets_on_one_store_share_the_window(store: Store) -> None:
    clock = FakeClock(5_000.0)
    first, second = (Planner(store, per_minute=3, clock=clock) for _ in range(2))
    spent = [await (first if i % 2 else second).try_edit("T1") for i in range(4)]
    assert spent == [True, True, True, False]


async def test_a_slack_429_pauses_edits_for_its_retry_after(fake_slack: FakeSlack) -> None:
    budget = Planner(MemoryStore(), per_minute=45)
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
    client.retry_handlers.extend(retry_handlers(budget, max_retry_count=1))
    posted = await client.chat_postMessage(channel="C1", text="placeholder")
    fake_slack.rate_limit_next("chat.update", retry_after=1)
    update = asyncio.create_task(client.chat_update(channel="C1", ts=posted["ts"], text="final"))
    try:
        async with asyncio.timeout(5):
            while not await budget.paused("chat.update"):
                assert not update.done(), "the pause was never learned"
                await asyncio.sleep(0.01)
        assert not await budget.try_edit("T1")  # nothing new is spent while paused
        assert not (await budget.plan("T1")).streamed
        assert not await budget.paused("chat.postMessage")
    finally:
        response = await update
    assert response["ok"]  # the call itself was retried after Retry-After
    assert fake_slack.count_429["chat.update"] == 1
    assert len(fake_slack.calls_to("chat.update")) == 2
