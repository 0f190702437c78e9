"""The planner's decisions on a fake clock: plans from every budget, fair shares, posts in line."""

from __future__ import annotations

import asyncio

from bot.slack.delivery.planner import (
    WINDOW_SECONDS,
    Delivery,
    Plan,
    Planner,
)
from bot.store import Store
from tests.support import FakeClock


class SleepingClock(FakeClock):
    """A fake clock whose sleep moves it on (and yields once, like a real sleep)."""

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _planner(store: Store, clock: FakeClock, **limits: int) -> Planner:
    options = {"per_minute": 10, "streams_per_minute": 2, "appends_per_minute": 10} | limits
    sleep = clock.sleep if isinstance(clock, SleepingClock) else None
    if sleep is None:
        return Planner(store, clock=clock, **options)
    return Planner(store, clock=clock, sleep=sleep, **options)


async def _plans(planner: Planner, count: int, *, native: bool, prefer: bool) -> list[Plan]:
    return [
        await planner.plan_reply("T1", native=native, prefer_native=prefer) for _ in range(count)
    ]


async def test_a_channel_thread_gets_placeholders_then_native_then_first_words_then_once(
    store: Store,
) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    plans = await _plans(planner, 11, native=True, prefer=False)
    # 10 edits a minute, half kept for finals: two placeholder replies (final + first draft
    # each), then both stream pairs, then six replies whose first post carries the first words.
    assert [p.delivery for p in plans] == [Delivery.EDITS] * 2 + [Delivery.NATIVE] * 2 + [
        Delivery.EDITS
    ] * 6 + [Delivery.ONCE]
    assert [p.reserved_edits for p in plans[:2]] == [1, 1]
    assert all(p.first_words and p.reserved_edits == 0 for p in plans[4:10])


async def test_a_dm_thread_prefers_native_while_its_budget_lasts(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    plans = await _plans(planner, 3, native=True, prefer=True)
    assert [p.delivery for p in plans] == [Delivery.NATIVE, Delivery.NATIVE, Delivery.EDITS]
    assert not plans[2].first_words  # the edit window is still roomy: a placeholder at once


async def test_without_a_thread_there_is_no_native_plan(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    plans = await _plans(planner, 9, native=False, prefer=True)
    assert Delivery.NATIVE not in {p.delivery for p in plans}
    assert plans[-1].delivery is Delivery.ONCE


async def test_intermediate_edits_stop_at_the_low_water_mark_finals_do_not(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    intermediate = [await planner.try_edit("T1", intermediate=True) for _ in range(7)]
    assert intermediate == [True] * 5 + [False] * 2  # the lower half is kept for finals
    finals = [await planner.try_edit("T1") for _ in range(6)]
    assert finals == [True] * 5 + [False]


async def test_a_new_reply_still_gets_its_final_after_intermediate_edits_ran_dry(
    store: Store,
) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    while await planner.try_edit("T1", intermediate=True):
        pass
    plan = await planner.plan_reply("T1", native=False, prefer_native=False)
    assert plan.delivery is Delivery.EDITS and plan.first_words


async def test_appends_keep_their_lower_half_too(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    assert [await planner.try_append("T1", intermediate=True) for _ in range(6)] == [True] * 5 + [
        False
    ]
    assert await planner.try_append("T1")


def test_the_edit_interval_is_a_fair_share_of_the_spare_edits(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))  # 5 spare edits a minute
    assert planner.edit_interval("T1", Delivery.EDITS, 1.0) == 1.0  # alone: as fast as asked
    with (
        planner.streaming("T1", Delivery.EDITS),
        planner.streaming("T1", Delivery.EDITS),
        planner.streaming("T1", Delivery.EDITS),
    ):
        assert planner.edit_interval("T1", Delivery.EDITS, 1.0) == 2 * WINDOW_SECONDS / 5
        assert planner.edit_interval("T2", Delivery.EDITS, 1.0) == 1.0  # per workspace
        assert planner.edit_interval("T1", Delivery.NATIVE, 1.0) == 1.0  # appends apart
    assert planner.edit_interval("T1", Delivery.EDITS, 1.0) == 1.0


async def test_posts_wait_in_line_for_their_channel_and_none_is_refused(store: Store) -> None:
    clock = SleepingClock(1_000.0)
    planner = Planner(
        store,
        clock=clock,
        sleep=clock.sleep,
        post_burst=3,  # two posts at once ...
        posts_per_second=0.2,  # ... then one every 5 s
        queued_notice_after=0.0,  # any post that has to wait at all says so
    )
    posted: list[tuple[int, float]] = []
    told: list[int] = []

    async def post(index: int) -> None:
        async def waiting() -> None:
            told.append(index)

        await planner.post_slot("T1", "C1", waiting=waiting)
        posted.append((index, clock.now))

    async with asyncio.TaskGroup() as group:
        for index in range(5):
            group.create_task(post(index))
    assert [index for index, _ in posted] == [0, 1, 2, 3, 4]  # first come, first posted
    times = [at - 1_000.0 for _, at in posted]
    assert times[:2] == [0.0, 0.0]
    assert [round(t) for t in times[2:]] == [5, 10, 15]
    assert sorted(told) == [2, 3, 4]  # each post that waited said so once; the others never


async def test_channels_have_windows_of_their_own(store: Store) -> None:
    clock = SleepingClock(1_000.0)
    planner = Planner(store, clock=clock, sleep=clock.sleep, post_burst=2, posts_per_second=0.2)

    async def never() -> None:
        raise AssertionError("no post should wait")

    for channel in ("C1", "C2", "C3"):
        await planner.post_slot("T1", channel, waiting=never)
    assert clock.now == 1_000.0


async def test_paused_edits_leave_native_streams_then_once(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    await planner.pause("chat.update", 30)
    assert (await planner.plan_reply("T1", native=True, prefer_native=False)).delivery is (
        Delivery.NATIVE
    )
    assert (await planner.plan_reply("T1", native=False, prefer_native=False)).delivery is (
        Delivery.ONCE
    )


async def test_a_paused_stream_method_plans_edits(store: Store) -> None:
    planner = _planner(store, FakeClock(1_000.0))
    await planner.pause("chat.startStream", 30)
    plan = await planner.plan_reply("T1", native=True, prefer_native=True)
    assert plan.delivery is Delivery.EDITS
