"""The bot's records of questions that fell short: one capped list per UTC day, read by range."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis.asyncio as redis

from bot.insights.feedback import FeedbackLog
from bot.insights.gaps import (
    GAPS_TTL_SECONDS,
    DocGaps,
    Gap,
    GapKind,
    day_key,
    decode_gap,
    encode_gap,
)
from bot.store import MemoryStore, RedisStore, Store
from tests.support import FakeClock

NOON = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


async def test_records_are_read_back_by_time_range(store: Store) -> None:
    clock = FakeClock((NOON).timestamp())
    gaps = DocGaps(store, clock)
    await gaps.record(GapKind.NO_ANSWER, "Is there a dark mode?")
    clock.now += 86_400  # the next day, another list
    await gaps.record(GapKind.NOT_HELPFUL, "How do I export?")
    clock.now += 86_400
    await gaps.record(GapKind.NO_ANSWER, "Too late")
    found = await gaps.between(NOON, NOON + dt.timedelta(days=2))
    assert [(g.kind, g.question) for g in found] == [
        (GapKind.NO_ANSWER, "Is there a dark mode?"),
        (GapKind.NOT_HELPFUL, "How do I export?"),
    ]
    assert await gaps.between(NOON + dt.timedelta(seconds=1), NOON + dt.timedelta(days=1)) == []


async def test_records_are_versioned_json_under_a_day_key(store: Store) -> None:
    await DocGaps(store, FakeClock((NOON).timestamp())).record(GapKind.NO_ANSWER, "Q?")
    (raw,) = await store.recent("docsbot:gaps:2026-11-20")
    assert json.loads(raw) == {"v": 1, "kind": "no_answer", "q": "Q?", "at": NOON.timestamp()}
    assert day_key(NOON.date()) == "docsbot:gaps:2026-11-20"


async def test_redis_day_list_is_kept_ninety_days(redis_url: str, redis_key_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        await DocGaps(RedisStore(client, prefix=redis_key_prefix)).record(GapKind.NO_ANSWER, "Q?")
        (key,) = await client.keys(redis_key_prefix + "docsbot:gaps:*")
        assert 90 * 86_400_000 < await client.pttl(key) <= GAPS_TTL_SECONDS * 1000
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "raw", ["not json", "[]", '{"v": 2, "kind": "no_answer", "q": "x", "at": 1}', '{"v": 1}']
)
def test_unreadable_records_are_skipped(raw: str) -> None:
    assert decode_gap(raw) is None


def test_records_round_trip() -> None:
    gap = Gap(GapKind.NOT_HELPFUL, "Where?", 12.5)
    assert decode_gap(encode_gap(gap)) == gap


async def test_a_thumbs_down_is_recorded_once_and_a_thumbs_up_never() -> None:
    store = MemoryStore()
    clock = FakeClock((NOON).timestamp())
    feedback = FeedbackLog(store, DocGaps(store, clock), clock)
    await feedback.record(answer_id="a1", rater="U1", helpful=False, question="How do I export?")
    await feedback.record(answer_id="a1", rater="U1", helpful=False, question="How do I export?")
    await feedback.record(answer_id="a2", rater="U1", helpful=True, question="Where is SSO?")
    found = await DocGaps(store).between(NOON, NOON + dt.timedelta(seconds=1))
    assert [(g.kind, g.question) for g in found] == [(GapKind.NOT_HELPFUL, "How do I export?")]
