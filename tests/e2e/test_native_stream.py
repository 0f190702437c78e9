"""Native streaming's own faults: every one ends with the whole answer shown, once.

Slack refuses a stream call (the method or token cannot stream, a scope is missing, the
stream expired, an append is refused), or the asker presses Stop. The answer must still
land complete in one reply, with nothing left streaming and no text lost; a Stop ends the
Ask too. Scripts hold GitBook between snapshots (``WaitFor``) so each step is observed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.harness import RunningBot, mention, running_bot
from tests.fakes.gitbook import Delay, DoneEvent, FakeGitBook, Snapshot, WaitFor
from tests.fakes.slack_api import FakeSlack, visible_text

PARTIAL = "To rotate a key, open the settings page"
SHOWN = "To rotate a key, open the settings "  # the stream holds back the unfinished word
MIDDLE = "To rotate a key, open the settings page and click"
FULL = "To rotate a key, open the settings page and click **Rotate**."


def _reply(slack: FakeSlack, event: dict[str, Any]) -> dict[str, Any]:
    (reply,) = slack.thread(event["channel"], event["ts"])
    return reply


def _finished(slack: FakeSlack, event: dict[str, Any], text: str) -> bool:
    replies = slack.thread(event["channel"], event["ts"])
    return (
        len(replies) == 1
        and text in visible_text(replies[0])
        and not replies[0]["streaming"]
        and "Writing" not in visible_text(replies[0])
    )


async def _ask(bot: RunningBot, question: str) -> dict[str, Any]:
    """Ask with a held script, stepping GitBook on once Slack saw each step; await the answer.

    The first snapshot starts the reply; the second is written to it (an append, or an
    edit) before the final snapshot comes.
    """
    slack, steps = bot.slack, [asyncio.Event(), asyncio.Event()]
    bot.gitbook.script_ask(
        [
            *(Snapshot(PARTIAL), WaitFor(steps[0])),
            *(Snapshot(MIDDLE), WaitFor(steps[1])),
            *(Snapshot(FULL), DoneEvent()),
        ],
        question=question,
    )
    event = mention(question)
    await bot.event(event)
    await slack.wait_until(
        lambda: any(SHOWN in visible_text(m) for m in slack.thread(event["channel"], event["ts"]))
    )
    calls = len(slack.calls)
    steps[0].set()
    await slack.wait_until(lambda: len(slack.calls) > calls)
    steps[1].set()
    await slack.wait_until(lambda: _finished(slack, event, FULL))
    return event


@pytest.mark.parametrize("error", ["unknown_method", "not_allowed_token_type"])
async def test_a_method_or_token_that_cannot_stream_falls_back_to_edits_for_good(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, error: str
) -> None:
    fake_slack.fail_next("chat.startStream", error)
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        first = await _ask(bot, "how do I rotate a key?")
        second = await _ask(bot, "and how do I revoke one?")
    assert len(fake_slack.calls_to("chat.startStream")) == 1  # tried once, then remembered
    first_post, second_post = [c for c in fake_slack.posts() if c.ok]
    assert first_post.method == second_post.method == "chat.postMessage"
    assert SHOWN in visible_text(first_post.args)  # the text there was: nothing is lost
    assert "Searching the docs" in visible_text(second_post.args)  # straight to the edit path
    for event, post in ((first, first_post), (second, second_post)):
        assert post.args["thread_ts"] == event["ts"]
        assert FULL in visible_text(_reply(fake_slack, event))  # edited to the final answer
    assert [r.error for r in fake_slack.refusals] == [error]


async def test_a_missing_scope_falls_back_for_that_reply_only(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("chat.startStream", "missing_scope")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        first = await _ask(bot, "how do I rotate a key?")
        second = await _ask(bot, "and how do I revoke one?")
    assert fake_slack.calls_to("chat.postMessage")[0].args["thread_ts"] == first["ts"]
    (streamed,) = [c for c in fake_slack.calls_to("chat.startStream") if c.ok]
    assert streamed.args["thread_ts"] == second["ts"]


async def test_an_expired_stream_is_finished_by_editing_its_message(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.stream_lifetime = 0.0  # Slack closed the stream before the first append
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = await _ask(bot, "how do I rotate a key?")
    reply = _reply(fake_slack, event)
    (append,) = fake_slack.calls_to("chat.appendStream")
    assert append.error == "message_not_in_streaming_state" and append.args["ts"] == reply["ts"]
    assert fake_slack.calls_to("chat.stopStream") == []  # nothing left to stop
    assert any(c.args["ts"] == reply["ts"] for c in fake_slack.calls_to("chat.update"))
    assert visible_text(reply).count("To rotate a key") == 1


async def test_a_refused_append_stops_the_stream_and_edits_it_to_the_full_answer(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("chat.appendStream", "msg_too_long")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = await _ask(bot, "how do I rotate a key?")
    (stop,) = fake_slack.calls_to("chat.stopStream")
    assert not stop.args.get("markdown_text")  # stopped first, so it can be edited
    assert stop.args["ts"] == _reply(fake_slack, event)["ts"]
    assert fake_slack.calls_to("chat.update")[-1].args["ts"] == stop.args["ts"]


async def test_a_stream_that_cannot_be_stopped_is_replaced_without_losing_text(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("chat.appendStream", "internal_error")
    fake_slack.fail_next("chat.stopStream", "internal_error")  # the stream stays open
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = await _ask(bot, "how do I rotate a key?")
    # Edits of a streaming message are refused; the answer is posted anew instead.
    assert "streaming_state_conflict" in {r.error for r in fake_slack.refusals}
    (streamed,) = fake_slack.deleted
    assert streamed["streaming"] and SHOWN in visible_text(streamed)
    assert _reply(fake_slack, event)["ts"] != streamed["ts"]


async def test_stop_pressed_by_the_asker_ends_the_reply_and_the_ask(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    release = asyncio.Event()
    longer = PARTIAL + " and then some more words"
    # GitBook keeps writing (for seconds) unless the bot hangs up.
    trickle = [step for i in range(100) for step in (Delay(0.05), Snapshot(f"{longer} {i}"))]
    fake_gitbook.script_ask([Snapshot(PARTIAL), WaitFor(release), *trickle, DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = mention("how do I rotate a key?")
        await bot.event(event)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.startStream")) == 1)
        (message,) = fake_slack.thread(event["channel"], event["ts"])
        fake_slack.stop_stream_as_user(event["channel"], message["ts"])
        release.set()
        await fake_gitbook.wait_until(lambda: fake_gitbook.ask_disconnects == 1)
        calls_after_stop = len(fake_slack.calls)
        await _ask(bot, "and how do I revoke one?")  # the bot carries on
    stopped = [c for c in fake_slack.calls[:calls_after_stop] if c.error == "stopped_by_user"]
    assert [c.method for c in stopped] == ["chat.appendStream"]
    # After the Stop, nothing more was sent to that message: it keeps what was streamed.
    later = [c for c in fake_slack.calls if c.args.get("ts") == message["ts"]]
    assert later[-1] is stopped[0]
    assert visible_text(fake_slack.messages[(event["channel"], message["ts"])]) == SHOWN


async def test_auto_mode_streams_channel_threads_natively_once_edits_run_short(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    # More mentions at once than the edit window's roomy half takes placeholders for: the
    # planner goes on with native streams in the mentions' threads, every reply growing.
    questions = 16
    finals = [f"Answer {i}: open the settings page and follow the steps." for i in range(questions)]
    for i, final in enumerate(finals):
        fake_gitbook.script_ask(
            [Snapshot(final[:20]), Delay(0.2), Snapshot(final), DoneEvent()],
            question=f"channel question {i}?",
        )
    async with running_bot(fake_slack, fake_gitbook) as bot:
        events = [
            mention(f"channel question {i}?", channel=f"C{i:03d}", user=f"U{i:03d}")
            for i in range(questions)
        ]
        await asyncio.gather(*(bot.event(event) for event in events))
        await fake_slack.wait_until(
            lambda: all(_finished(fake_slack, e, f) for e, f in zip(events, finals, strict=True)),
            timeout=20,
        )
    starts = fake_slack.calls_to("chat.startStream")
    assert starts and all(c.args["channel"].startswith("C") for c in starts)
    assert {c.args["thread_ts"] for c in starts} <= {e["ts"] for e in events}
    placeholders = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert placeholders  # the first replies were acknowledged by placeholders at once
    assert len(starts) + len(placeholders) == questions  # one creating call per reply
