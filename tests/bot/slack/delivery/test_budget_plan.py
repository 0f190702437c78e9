"""The edit budget and delivery plan, on a fake clock (deterministic, no sleeps)."""

from __future__ import annotations

import pytest

from bot.slack.delivery.planner import Delivery, Planner
from bot.store import Store
from tests.support import FakeClock


async def test_streams_while_the_final_edit_and_one_more_fit(store: Store) -> None:
    budget = Planner(store, per_minute=5, clock=FakeClock(1_000.0))
    plans = [(await budget.plan("T1")).streamed for _ in range(6)]
    # Each stream reserves two slots, its final edit and its first draft edit: 4 of 5.
    assert plans == [True, True, False, False, False, False]


async def test_intermediate_edits_spend_what_is_left_never_the_reserved_finals(
    store: Store,
) -> None:
    budget = Planner(store, per_minute=5, clock=FakeClock(1_000.0))
    assert (await budget.plan("T1")).streamed  # 2 reserved
    assert [await budget.try_edit("T1") for _ in range(4)] == [True, True, True, False]
    assert not (await budget.plan("T1")).streamed  # a new reply is delivered once


async def test_a_pause_after_429_stops_new_streams_and_edits(store: Store) -> None:
    budget = Planner(store, per_minute=50, clock=FakeClock(1_000.0))
    await budget.pause("chat.update", 30)
    assert await budget.paused("chat.update")
    assert not (await budget.plan("T1")).streamed
    assert await budget.try_edit("T1") is False
    assert not await budget.paused("chat.postMessage")


def _native(store: Store, clock: FakeClock, **limits: int) -> Planner:
    options = {"per_minute": 3, "streams_per_minute": 2, "appends_per_minute": 3} | limits
    return Planner(store, clock=clock, **options)


async def test_native_replies_reserve_start_and_stop_then_fall_back_to_edits_then_once(
    store: Store,
) -> None:
    budget = _native(store, FakeClock(1_000.0))
    plans = [(await budget.plan_native("T1")).delivery for _ in range(5)]
    # Two stream pairs; then the edit plan (final and first draft edit reserved); then once.
    assert plans == [
        Delivery.NATIVE,
        Delivery.NATIVE,
        Delivery.EDITS,
        Delivery.ONCE,
        Delivery.ONCE,
    ]


async def test_appends_spend_their_own_window_not_the_edits(store: Store) -> None:
    budget = _native(store, FakeClock(1_000.0))
    assert [await budget.try_append("T1") for _ in range(4)] == [True, True, True, False]
    assert [await budget.try_edit("T1") for _ in range(4)] == [True, True, True, False]


async def test_no_native_stream_without_room_for_one_append(store: Store) -> None:
    clock = FakeClock(1_000.0)
    budget = _native(store, clock)
    for _ in range(3):
        assert await budget.try_append("T1")
    assert (await budget.plan_native("T1")).delivery is Delivery.EDITS
    clock.now += 60.001  # the append window slid: streams are back
    assert (await budget.plan_native("T1")).delivery is Delivery.NATIVE


@pytest.mark.parametrize("method", ["chat.startStream", "chat.appendStream", "chat.stopStream"])
async def test_a_429_on_a_stream_method_sends_new_replies_to_edits(
    store: Store, method: str
) -> None:
    budget = _native(store, FakeClock(1_000.0))
    await budget.pause(method, 30)
    assert (await budget.plan_native("T1")).delivery is Delivery.EDITS
    assert (await budget.plan_native("T2")).streamed


async def test_the_stream_window_slides_and_is_per_workspace(store: Store) -> None:
    clock = FakeClock(1_000.0)
    budget = _native(store, clock, streams_per_minute=1)
    assert (await budget.plan_native("T1")).delivery is Delivery.NATIVE
    assert (await budget.plan_native("T1")).delivery is Delivery.EDITS
    assert (await budget.plan_native("T2")).delivery is Delivery.NATIVE
    clock.now += 60.001
    assert (await budget.plan_native("T1")).delivery is Delivery.NATIVE


async def test_a_pause_in_another_process_is_seen_within_a_second(store: Store) -> None:
    clock = FakeClock(1_000.0)
    here, there = (Planner(store, clock=clock) for _ in range(2))
    assert not await here.paused("chat.update")  # read once, remembered for a second
    await there.pause("chat.update", 30)
    assert await there.paused("chat.update")
    clock.now += 1.0
    assert await here.paused("chat.update")
