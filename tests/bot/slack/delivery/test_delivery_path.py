"""The delivery path against the fake Slack: posts queue per channel, the Ask starts at once,
the first post carries the first words under load, and a fall-back wastes no reserved edit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.models import Answer, AnswerUpdate, Draft, Outcome
from bot.slack import blocks as messages
from bot.slack.delivery.planner import Planner, retry_handlers
from bot.slack.delivery.streamer import ReplyTarget, Streamer
from bot.slack.delivery.writer import SlackWriter
from bot.store import MemoryStore
from tests.fakes.slack_api import FakeSlack, visible_text

FIRST = "To rotate a key, open the settings page"
FULL = "To rotate a key, open the settings page and click **Rotate**."
CHANNEL = ReplyTarget("C1", "1700000000.000001", "T1", user="U1")


def _client(slack: FakeSlack, planner: Planner, *, retries: int = 2) -> AsyncWebClient:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    client.retry_handlers.extend(retry_handlers(planner, max_retry_count=retries))
    return client


def _answer() -> Answer:
    return Answer(question="q", outcome=Outcome.ANSWERED, markdown=FULL, answer_id="a1")


async def test_posts_over_a_channels_limit_wait_in_line_and_all_land_in_order(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.set_channel_post_limit(burst=2, per_second=4.0)
    planner = Planner(MemoryStore(), post_burst=2, posts_per_second=4.0)
    writer = SlackWriter(_client(fake_slack, planner), planner)
    texts = [f"reply {i}" for i in range(6)]
    await asyncio.gather(*(writer.post(CHANNEL, messages.notice(t)) for t in texts))
    landed = [visible_text(c.args) for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert [next(t for t in texts if t in text) for text in landed] == texts
    assert fake_slack.count_429["chat.postMessage"] == 0


async def test_a_post_still_limited_after_the_clients_retries_is_queued_again_not_dropped(
    fake_slack: FakeSlack,
) -> None:
    planner = Planner(MemoryStore())
    writer = SlackWriter(_client(fake_slack, planner, retries=1), planner)
    fake_slack.rate_limit_next("chat.postMessage", retry_after=0, times=2)
    ts = await writer.post(CHANNEL, messages.notice("the answer"))
    assert fake_slack.count_429["chat.postMessage"] == 2
    assert "the answer" in visible_text(fake_slack.messages[(CHANNEL.channel, ts)])
    assert not await planner.paused("chat.postMessage")  # one channel's limit pauses no other


async def test_the_ask_starts_before_the_first_post_is_answered(fake_slack: FakeSlack) -> None:
    fake_slack.latency = 0.2  # a slow Slack round trip
    posts_when_asked: list[int] = []

    async def updates() -> AsyncIterator[AnswerUpdate]:
        posts_when_asked.append(len(fake_slack.calls_to("chat.postMessage")))
        yield _answer()

    planner = Planner(MemoryStore())
    streamer = Streamer(_client(fake_slack, planner), planner, edit_interval=0.01, mode="edit")
    final = await streamer.stream(CHANNEL, updates())
    assert final is not None and final.markdown == FULL
    assert posts_when_asked == [0]
    first = fake_slack.calls_to("chat.postMessage")[0]
    assert first.ok


async def test_under_load_the_first_post_carries_the_first_words(fake_slack: FakeSlack) -> None:
    planner = Planner(MemoryStore(), per_minute=4)
    for _ in range(2):  # other replies took the roomy half of the edit window
        assert await planner.try_edit("T1")
    more = asyncio.Event()

    async def updates() -> AsyncIterator[AnswerUpdate]:
        yield Draft(FIRST)
        await more.wait()
        yield _answer()

    streamer = Streamer(_client(fake_slack, planner), planner, edit_interval=0.01, mode="edit")
    reply = asyncio.create_task(streamer.stream(CHANNEL, updates()))
    await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.postMessage")))
    more.set()
    await reply
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert FIRST in visible_text(post.args)  # no placeholder: the words themselves
    (final,) = fake_slack.calls_to("chat.update")  # only the final edit: the reply grew once
    assert "Rotate" in visible_text(final.args)
    assert [await planner.try_edit("T1") for _ in range(2)] == [True, False]


async def test_a_refused_native_start_posts_the_first_words_and_reserves_only_the_final(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail_next("chat.startStream", "missing_scope")
    planner = Planner(MemoryStore(), per_minute=4)
    dm_thread = ReplyTarget("D1", "1700000000.000001", "T1", user="U1")

    async def updates() -> AsyncIterator[AnswerUpdate]:
        yield Draft(FIRST + " ")
        await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.postMessage")))
        yield _answer()

    streamer = Streamer(_client(fake_slack, planner), planner, edit_interval=0.01)
    await streamer.stream(dm_thread, updates())
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert FIRST in visible_text(post.args)
    assert "Rotate" in visible_text(fake_slack.calls_to("chat.update")[-1].args)
    # One edit was reserved (the final) and spent; three of four are left, none leaked.
    assert [await planner.try_edit("T1") for _ in range(4)] == [True, True, True, False]


async def test_first_words_slower_than_the_ack_second_show_the_thread_status_meanwhile(
    fake_slack: FakeSlack,
) -> None:
    planner = Planner(MemoryStore(), per_minute=4)
    for _ in range(2):  # under load: the first post will carry the first words
        assert await planner.try_edit("T1")
    words = asyncio.Event()

    async def updates() -> AsyncIterator[AnswerUpdate]:
        await words.wait()
        yield Draft(FIRST)
        yield _answer()

    client = _client(fake_slack, planner)
    streamer = Streamer(client, planner, edit_interval=0.01, mode="edit", first_words_wait=0.01)
    reply = asyncio.create_task(streamer.stream(CHANNEL, updates()))
    await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("assistant.threads.setStatus")))
    assert fake_slack.calls_to("chat.postMessage") == []  # the status is the acknowledgement
    words.set()
    await reply
    statuses = [c.args["status"] for c in fake_slack.calls_to("assistant.threads.setStatus")]
    assert statuses == [notices.STATUS, ""]
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert FIRST in visible_text(post.args)


async def test_a_post_queued_behind_its_channel_says_so_in_the_thread_then_clears_it(
    fake_slack: FakeSlack,
) -> None:
    planner = Planner(MemoryStore(), post_burst=2, posts_per_second=5.0, queued_notice_after=0.0)
    writer = SlackWriter(_client(fake_slack, planner), planner)
    await asyncio.gather(*(writer.post(CHANNEL, messages.notice(f"reply {i}")) for i in range(2)))
    statuses = [c.args for c in fake_slack.calls_to("assistant.threads.setStatus")]
    assert [s["status"] for s in statuses] == [notices.QUEUED_STATUS, ""]
    assert all(s["thread_ts"] == CHANNEL.thread_ts for s in statuses)
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
