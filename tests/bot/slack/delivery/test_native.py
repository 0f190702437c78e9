"""The native path against the fake Slack, driven by hand-made answer updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Answer, AnswerUpdate, Draft, Outcome
from bot.slack.delivery.planner import Planner
from bot.slack.delivery.streamer import ReplyTarget, Streamer
from bot.store import MemoryStore
from tests.fakes.slack_api import FakeSlack, visible_text

FULL = "To rotate a key, open the settings page and click **Rotate**."
TARGET = ReplyTarget("D1", "1700000000.000001", "T1", user="U1")  # a DM thread: native in auto


def _streamer(slack: FakeSlack, **options: object) -> Streamer:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    return Streamer(client, Planner(MemoryStore()), edit_interval=0.01, **options)  # type: ignore[arg-type]


async def _updates(more: asyncio.Event) -> AsyncIterator[AnswerUpdate]:
    yield Draft("To rotate a key, open the settings page")
    await more.wait()
    yield Draft("To rotate a key, open the settings page and click")
    yield Answer(question="q", outcome=Outcome.ANSWERED, markdown=FULL, answer_id="a1")


async def test_a_stream_about_to_expire_is_stopped_and_continued_by_edits(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.stream_lifetime = 5.0  # Slack's own limit is never reached
    more = asyncio.Event()
    streamer = _streamer(fake_slack, stream_lifetime=0.2)
    reply = asyncio.create_task(streamer.stream(TARGET, _updates(more)))
    # Nothing new for longer than the stream may live: the bot stops it by itself.
    await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.stopStream")) == 1)
    more.set()
    final = await reply
    assert final is not None and final.markdown == FULL
    (start,) = fake_slack.calls_to("chat.startStream")
    (stop,) = fake_slack.calls_to("chat.stopStream")
    assert not stop.args.get("markdown_text")
    assert fake_slack.refusals == []  # never ran into Slack's expiry
    (message,) = fake_slack.thread(TARGET.channel, TARGET.thread_ts or "")
    assert FULL in visible_text(message) and not message["streaming"]
    assert fake_slack.calls_to("chat.update")[-1].args["ts"] == message["ts"]
    assert start.args["recipient_user_id"] == "U1" and start.args["recipient_team_id"] == "T1"


async def test_edit_mode_never_streams_natively(fake_slack: FakeSlack) -> None:
    more = asyncio.Event()
    more.set()
    await _streamer(fake_slack, mode="edit").stream(TARGET, _updates(more))
    assert fake_slack.calls_to("chat.startStream") == []
    assert FULL in visible_text(fake_slack.calls_to("chat.update")[-1].args)


async def test_a_reply_without_a_thread_or_an_asker_uses_edits_in_auto_mode(
    fake_slack: FakeSlack,
) -> None:
    more = asyncio.Event()
    more.set()
    streamer = _streamer(fake_slack)
    targets = (
        ReplyTarget("D1", None, "T1", user="U1"),  # top-level DM: no thread
        ReplyTarget("C1", "1.1", "T1"),  # no asker
        ReplyTarget("C1", "1.1", "T1", user="U1"),  # a channel thread keeps its placeholder
    )
    for target in targets:
        await streamer.stream(target, _updates(more))
    assert fake_slack.calls_to("chat.startStream") == []
