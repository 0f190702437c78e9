"""The reply journal on real Redis: recorded, renewed, taken over exactly once, removed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import redis.asyncio as redis

from bot.models import Asker, Question
from bot.slack.delivery.writer import ReplyTarget
from bot.slack.recovery import PendingReply, RedisEntry, RedisJournal
from bot.store import CircuitBreaker
from bot.tasks import BackgroundTasks

QUESTION = Question("how do I rotate a key?", Asker("T1", "U1", "C1:1.1"))
TARGET = ReplyTarget("C1", "1.1", "T1", user="U1", question_ts="1.1")


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.Redis]:
    c = redis.Redis.from_url(redis_url)
    yield c
    await c.aclose()


def journal(client: redis.Redis, prefix: str, lease: float) -> RedisJournal:
    return RedisJournal(client, CircuitBreaker(), BackgroundTasks(), prefix=prefix, lease=lease)


async def take_until_one(*journals: RedisJournal) -> list[list[tuple[PendingReply, RedisEntry]]]:
    """Ask every journal for lapsed replies until one of them got something."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        results = list(await asyncio.gather(*(j.take_over() for j in journals)))
        if any(results):
            return results
        await asyncio.sleep(0.01)
    raise AssertionError("no journal took the lapsed reply over")


def test_a_record_round_trips_through_json() -> None:
    reply = PendingReply(QUESTION, TARGET, ts="1.2", id="abc")
    assert PendingReply.from_json(reply.to_json()) == reply
    private = PendingReply(QUESTION, response_url="https://hooks.slack.com/x", id="d")
    assert PendingReply.from_json(private.to_json()) == private
    assert PendingReply.from_json('{"v": 2}') is None
    scoped = replace(QUESTION, scope=("sitesp_api",), surface="mention")
    assert PendingReply.from_json(PendingReply(scoped, TARGET).to_json()).question == scoped


async def test_a_lapsed_reply_is_taken_over_by_exactly_one_process(
    client: redis.Redis, redis_key_prefix: str
) -> None:
    killed = journal(client, redis_key_prefix, lease=0.001)  # never renews: as if killed
    entry = await killed.record(PendingReply(QUESTION, TARGET))
    await entry.posted("1.2")
    peers = [journal(client, redis_key_prefix, lease=30) for _ in range(3)]
    results = await take_until_one(*peers)
    (taken,) = [r for r in results if r]
    ((reply, _),) = taken
    assert reply.question == QUESTION and reply.target == TARGET and reply.ts == "1.2"
    assert not any(await asyncio.gather(*(p.take_over() for p in peers)))  # leased now
    await entry.done()  # the killed owner's late "done" must not drop the taker's lease
    assert await client.zcard(redis_key_prefix + "docsbot:replies:due") == 1


async def test_a_reply_that_ended_is_never_taken_over(
    client: redis.Redis, redis_key_prefix: str
) -> None:
    owner = journal(client, redis_key_prefix, lease=0.001)
    entry = await owner.record(PendingReply(QUESTION, TARGET))
    await entry.done()
    await asyncio.sleep(0.01)  # the lease would have lapsed by now
    assert await journal(client, redis_key_prefix, lease=30).take_over() == []
    assert await client.exists(redis_key_prefix + "docsbot:replies:due") == 0


async def test_a_renewed_lease_is_not_taken_over(
    client: redis.Redis, redis_key_prefix: str
) -> None:
    owner = journal(client, redis_key_prefix, lease=30)
    await owner.record(PendingReply(QUESTION, TARGET))
    await owner.renew()
    assert await journal(client, redis_key_prefix, lease=30).take_over() == []
