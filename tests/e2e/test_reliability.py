"""Fault injection (issue 4, "Reliability"): every question ends well, exactly once.

Each test drives the real app over HTTP against the fake Slack and fake GitBook servers and
scripts one fault. Nothing sleeps to wait for work: tests wait on conditions with deadlines.
To prove that something did *not* happen (no second answer, no Ask), a test sends a later
"sentinel" question and waits for its answer: work that was going to happen for the earlier
events has started (and reached GitBook or Slack) long before the sentinel's answer lands.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.harness import RunningBot, direct_message, mention, running_bot
from tests.fakes.gitbook import (
    Close,
    Cut,
    DoneEvent,
    ErrorEvent,
    FakeGitBook,
    Hang,
    HttpError,
    Snapshot,
    Step,
    WaitFor,
    page_source,
)
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_api import FakeSlack, buttons, visible_text

PLACEHOLDER = "Searching the docs"
WRITING = "Writing…"
SENTINEL_QUESTION = "what is the sentinel answer?"
_n = itertools.count(1)

# --- helpers -------------------------------------------------------------------------------------


def _unique(text: str) -> str:
    """A question no other question in the test shares (so the cache never answers it)."""
    return f"{text} (#{next(_n)})"


def _thread(slack: FakeSlack, event: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot's visible messages answering event (its thread, or the DM top level)."""
    channel, ts = event["channel"], event["ts"]
    thread_ts = event.get("thread_ts") or (None if event.get("channel_type") == "im" else ts)
    if thread_ts is not None:
        return slack.thread(channel, thread_ts)
    return [m for (c, _), m in slack.messages.items() if c == channel and not m.get("thread_ts")]


def _texts(messages: Iterable[dict[str, Any]]) -> list[str]:
    return [visible_text(m) for m in messages]


def _working(message: dict[str, Any]) -> bool:
    """Whether a message still says the bot is working (or is a native stream left open)."""
    text = visible_text(message)
    return PLACEHOLDER in text or WRITING in text or bool(message.get("streaming"))


def _pending(slack: FakeSlack) -> list[str]:
    """Visible messages that still say the bot is working."""
    return [visible_text(m) for m in slack.messages.values() if _working(m)]


def _finished(slack: FakeSlack, event: dict[str, Any], expected: Iterable[str]) -> bool:
    """Whether one reply to event shows every expected text and none says it is working."""
    replies = _thread(slack, event)
    return any(all(e in t for e in expected) for t in _texts(replies)) and not any(
        _working(m) for m in replies
    )


async def _final_reply(slack: FakeSlack, event: dict[str, Any], *expected: str) -> str:
    """Wait until the reply to event is final and shows every expected text; return it."""
    await slack.wait_until(lambda: _finished(slack, event, expected), timeout=8.0)
    return "\n".join(_texts(_thread(slack, event)))


async def _ask_and_expect(bot: RunningBot, answer: str, *, user: str = "U0ASKER7") -> str:
    """Ask a fresh question by mention and wait for its complete answer; return the reply."""
    question = _unique(SENTINEL_QUESTION)
    bot.gitbook.script_ask([Snapshot(answer), DoneEvent()], question=question)
    event = mention(question, user=user)
    response = await bot.event(event)
    assert response.status_code == 200
    return await _final_reply(bot.slack, event, answer)


def _shows(slack: FakeSlack, event: dict[str, Any], text: str) -> Callable[[], bool]:
    return lambda: any(text in t for t in _texts(_thread(slack, event)))


def _has_one_reply(slack: FakeSlack, event: dict[str, Any]) -> bool:
    return len(_thread(slack, event)) == 1


def _asks_for(gitbook: FakeGitBook, question: str) -> int:
    return sum(1 for r in gitbook.ask_requests if r.question == question)


def _posts_in(slack: FakeSlack, channel: str, thread_ts: str | None) -> int:
    """Calls that created a reply in the thread (posted, or started a native stream)."""
    return sum(
        1
        for c in slack.posts()
        if c.args.get("channel") == channel and (c.args.get("thread_ts") or None) == thread_ts
    )


@dataclass(frozen=True)
class StoreOptions:
    """Where a bot keeps its state: in process (no URL) or in real Redis under a prefix."""

    redis_url: str | None = None
    key_prefix: str = ""


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StoreOptions:
    """The in-process store, or real Redis with a unique key prefix."""
    if request.param == "memory":
        return StoreOptions()
    return StoreOptions(
        request.getfixturevalue("redis_url"), request.getfixturevalue("redis_key_prefix")
    )


def _bot(
    slack: FakeSlack, gitbook: FakeGitBook, store: StoreOptions
) -> AbstractAsyncContextManager[RunningBot]:
    """running_bot on the given store."""
    return running_bot(slack, gitbook, redis_url=store.redis_url, key_prefix=store.key_prefix)


# --- 1. exactly once -----------------------------------------------------------------------------


async def test_event_delivered_three_times_is_answered_once(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, store: StoreOptions
) -> None:
    release = asyncio.Event()
    question = _unique("how do I rotate a key?")
    fake_gitbook.script_ask(
        [Snapshot("Rotate"), WaitFor(release), Snapshot("Rotate it in Settings."), DoneEvent()],
        question=question,
    )
    async with _bot(fake_slack, fake_gitbook, store) as bot:
        event = mention(question)
        first = await bot.event(event, event_id="EvTHRICE1")
        await fake_gitbook.wait_until(lambda: fake_gitbook.ask_in_flight == 1)
        # Slack's retries arrive while the first delivery is still being answered.
        retries = [await bot.event(event, event_id="EvTHRICE1", retry_num=n) for n in (1, 2)]
        release.set()
        await _final_reply(fake_slack, event, "Rotate it in Settings.")
        await _ask_and_expect(bot, "Sentinel answer.")
    assert [r.status_code for r in (first, *retries)] == [200, 200, 200]
    assert _asks_for(fake_gitbook, question) == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1


async def test_retry_arriving_after_the_answer_is_not_answered_again(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, store: StoreOptions
) -> None:
    question = _unique("where are the audit logs?")
    fake_gitbook.script_ask([Snapshot("Under Security."), DoneEvent()], question=question)
    async with _bot(fake_slack, fake_gitbook, store) as bot:
        event = mention(question)
        await bot.event(event, event_id="EvLATE1")
        await _final_reply(fake_slack, event, "Under Security.")
        retry = await bot.event(event, event_id="EvLATE1", retry_num=3)
        await _ask_and_expect(bot, "Sentinel answer.")
    assert retry.status_code == 200
    assert _asks_for(fake_gitbook, question) == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1


def _twin(event: dict[str, Any], channel_type: str) -> dict[str, Any]:
    """The `message.*` event Slack sends for the same user message as an app_mention."""
    return {
        "type": "message",
        "channel_type": channel_type,
        "user": event["user"],
        "text": event["text"],
        "ts": event["ts"],
        "channel": event["channel"],
    }


@pytest.mark.parametrize("twin_first", [False, True], ids=["mention-first", "twin-first"])
@pytest.mark.parametrize(
    ("channel", "channel_type"), [("C0CHAN9", "channel"), ("D0DM1", "im")], ids=["channel", "dm"]
)
async def test_app_mention_and_its_message_twin_get_one_answer(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    redis_url: str,
    redis_key_prefix: str,
    channel: str,
    channel_type: str,
    twin_first: bool,
) -> None:
    question = _unique("is there an API rate limit?")
    fake_gitbook.script_ask([Snapshot("Yes, 600 a minute."), DoneEvent()], question=question)
    async with running_bot(
        fake_slack, fake_gitbook, redis_url=redis_url, key_prefix=redis_key_prefix
    ) as bot:
        app_mention = mention(question, channel=channel)
        deliveries = [(app_mention, "EvMENTION1"), (_twin(app_mention, channel_type), "EvTWIN1")]
        if twin_first:
            deliveries.reverse()
        responses = [await bot.event(e, event_id=event_id) for e, event_id in deliveries]
        await fake_slack.wait_until(
            lambda: any("600 a minute" in t for t in _texts(fake_slack.messages.values()))
        )
        await _ask_and_expect(bot, "Sentinel answer.")
    assert [r.status_code for r in responses] == [200, 200]
    assert _asks_for(fake_gitbook, question) == 1
    answers = [t for t in _texts(fake_slack.messages.values()) if "600 a minute" in t]
    assert len(answers) == 1


async def test_two_instances_sharing_redis_answer_a_shared_event_once(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    question = _unique("how do I invite a teammate?")
    fake_gitbook.script_ask(
        [Snapshot("Open Members, then Invite."), DoneEvent()], question=question
    )
    shared = StoreOptions(redis_url, redis_key_prefix)
    async with (
        _bot(fake_slack, fake_gitbook, shared) as first,
        _bot(fake_slack, fake_gitbook, shared) as second,
    ):
        event = mention(question)
        # The same delivery reaches both processes at once (a retry landing on the other replica).
        responses = await asyncio.gather(
            first.event(event, event_id="EvSHARED1"),
            second.event(event, event_id="EvSHARED1", retry_num=1),
        )
        await _final_reply(fake_slack, event, "Open Members, then Invite.")
        await asyncio.gather(
            _ask_and_expect(first, "First sentinel."), _ask_and_expect(second, "Second sentinel.")
        )
    assert [r.status_code for r in responses] == [200, 200]
    assert _asks_for(fake_gitbook, question) == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1


async def test_two_instances_sharing_redis_answer_mention_and_twin_once(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    question = _unique("can I export my data?")
    fake_gitbook.script_ask([Snapshot("Yes, as JSON."), DoneEvent()], question=question)
    shared = StoreOptions(redis_url, redis_key_prefix)
    async with (
        _bot(fake_slack, fake_gitbook, shared) as first,
        _bot(fake_slack, fake_gitbook, shared) as second,
    ):
        event = mention(question, channel="D0DM1")
        await asyncio.gather(
            first.event(event, event_id="EvPAIR1"),
            second.event(_twin(event, "im"), event_id="EvPAIR2"),
        )
        await fake_slack.wait_until(
            lambda: any("as JSON" in t for t in _texts(fake_slack.messages.values()))
        )
        await asyncio.gather(
            _ask_and_expect(first, "First sentinel."), _ask_and_expect(second, "Second sentinel.")
        )
    assert _asks_for(fake_gitbook, question) == 1
    assert len([t for t in _texts(fake_slack.messages.values()) if "as JSON" in t]) == 1


async def test_redelivery_to_a_restarted_process_is_not_answered_again(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    question = _unique("what is SCIM?")
    fake_gitbook.script_ask([Snapshot("User provisioning."), DoneEvent()], question=question)
    shared = StoreOptions(redis_url, redis_key_prefix)
    event = mention(question)
    async with _bot(fake_slack, fake_gitbook, shared) as before_restart:
        await before_restart.event(event, event_id="EvRESTART1")
        await _final_reply(fake_slack, event, "User provisioning.")
    async with _bot(fake_slack, fake_gitbook, shared) as after_restart:
        response = await after_restart.event(event, event_id="EvRESTART1", retry_num=2)
        await _ask_and_expect(after_restart, "Sentinel answer.")
    assert response.status_code == 200
    assert _asks_for(fake_gitbook, question) == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1


# --- 2. no loops ---------------------------------------------------------------------------------


def _hostile(subtype: str) -> dict[str, Any]:
    """A DM event with subtype that otherwise looks like a person's question."""
    event = direct_message("how do I rotate a key?", subtype=subtype)
    if subtype == "message_changed":
        event["message"] = {"type": "message", "user": event["user"], "text": event["text"]}
        event["previous_message"] = {"type": "message", "user": event["user"], "text": "old"}
    if subtype == "message_deleted":
        event["deleted_ts"] = event["ts"]
    if subtype == "bot_message":
        event["bot_id"] = "B0OTHER"
    return event


IGNORED_EVENTS = [
    pytest.param(lambda: {**mention("loop?"), "bot_id": "B0OTHER"}, id="mention-from-a-bot"),
    pytest.param(lambda: mention("loop?", user="UBOT"), id="mention-by-the-bot-itself"),
    pytest.param(lambda: direct_message("loop?", user="UBOT"), id="dm-by-the-bot-itself"),
    pytest.param(lambda: direct_message("loop?", bot_id="BBOT"), id="dm-with-our-bot-id"),
    pytest.param(lambda: direct_message("loop?", bot_id="B0OTHER"), id="dm-from-another-bot"),
    *(
        pytest.param(lambda s=s: _hostile(s), id=f"dm-{s}")
        for s in (
            "message_changed",
            "message_deleted",
            "bot_message",
            "channel_join",
            "message_replied",
            "me_message",
        )
    ),
]


@pytest.mark.parametrize("make_event", IGNORED_EVENTS)
async def test_bot_and_non_question_events_are_acknowledged_but_never_answered(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, make_event: Callable[[], dict[str, Any]]
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        ignored = make_event()
        response = await bot.event(ignored)
        await _ask_and_expect(bot, "Sentinel answer.")
    assert response.status_code == 200  # a 404 would make Slack retry it
    (only_ask,) = fake_gitbook.ask_requests
    assert only_ask.question.startswith(SENTINEL_QUESTION)
    assert len(fake_slack.posts()) == 1  # the sentinel's reply


# --- 4. GitBook faults ---------------------------------------------------------------------------

PARTIAL = "To rotate a key, open the settings page"
PARTIAL_SHOWN = "To rotate a key, open the settings"  # a native stream holds back "page"
FULL = "To rotate a key, open **Settings → API keys** and click *Rotate*."


def _reset_header() -> dict[str, str]:
    """GitBook's documented rate-limit headers, with the window resetting now."""
    now = str(int(time.time()))
    return {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": now}


async def _fault_then_recovery(
    slack: FakeSlack,
    gitbook: FakeGitBook,
    scripts: list[list[Step]],
    expected: Iterable[str],
    *,
    stream_mode: str,
    gitbook_timeout: str = "2",
) -> tuple[str, int]:
    """Ask one question whose Ask calls play scripts; return its final reply and Ask count.

    Then check that nothing is left pending and that the next question is answered normally.
    """
    question = _unique("how do I rotate an API key?")
    expected = list(expected)
    env = {"GITBOOK_TIMEOUT_SECONDS": gitbook_timeout, "STREAM_MODE": stream_mode}
    async with running_bot(slack, gitbook, **env) as bot:
        for script in scripts:
            gitbook.script_ask(script)
        event = mention(question)
        await bot.event(event)
        reply = await _final_reply(slack, event, *expected)
        asks = _asks_for(gitbook, question)
        assert _pending(slack) == []
        recovered = await _ask_and_expect(bot, "Back to normal.")
    assert "⚠️" not in recovered
    assert _pending(slack) == []
    return reply, asks


async def test_gitbook_500_once_is_retried_and_the_full_answer_shown(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[HttpError(500, "Internal error")], [Snapshot(FULL), DoneEvent()]],
        [FULL],
        stream_mode=stream_mode,
    )
    assert asks == 2
    assert "⚠️" not in reply


async def test_gitbook_500_twice_ends_with_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[HttpError(500, "Internal error")], [HttpError(503, "Unavailable")]],
        ["having trouble"],
        stream_mode=stream_mode,
    )
    assert asks == 2  # one automatic retry, no more


async def test_gitbook_401_is_not_retried_and_says_the_credentials_were_refused(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[HttpError(401, "Invalid token")], [Snapshot("must not be asked"), DoneEvent()]],
        ["credentials"],
        stream_mode=stream_mode,
    )
    assert asks == 1
    assert "must not be asked" not in reply


async def test_gitbook_429_twice_ends_with_a_busy_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [
            [HttpError(429, "Too many requests", headers=_reset_header())],
            [HttpError(429, "Too many requests", headers=_reset_header())],
        ],
        ["rate limited"],
        stream_mode=stream_mode,
    )
    assert 1 <= asks <= 2


async def test_gitbook_429_then_success_shows_the_answer(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [
            [HttpError(429, "Too many requests", headers=_reset_header())],
            [Snapshot(FULL), DoneEvent()],
        ],
        [FULL],
        stream_mode=stream_mode,
    )
    assert asks == 2
    assert "⚠️" not in reply


async def test_error_event_after_a_partial_answer_keeps_the_text_and_adds_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Snapshot(PARTIAL), ErrorEvent("Something went wrong")]],
        [PARTIAL, "⚠️", "stopped with an error"],
        stream_mode=stream_mode,
    )
    assert asks == 1


async def test_hang_after_a_partial_answer_times_out_with_the_text_and_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Snapshot(PARTIAL), Hang()]],
        [PARTIAL, "⚠️", "took too long"],
        gitbook_timeout="0.5",
        stream_mode=stream_mode,
    )
    assert asks == 1  # text was shown: no retry


async def test_hang_before_any_text_is_retried_once(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Hang()], [Snapshot(FULL), DoneEvent()]],
        [FULL],
        gitbook_timeout="0.5",
        stream_mode=stream_mode,
    )
    assert asks == 2
    assert "⚠️" not in reply


async def test_cut_after_a_partial_answer_keeps_the_text_and_adds_a_notice_without_retry(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Snapshot(PARTIAL), Cut()], [Snapshot("must not be asked"), DoneEvent()]],
        [PARTIAL, "⚠️", "connection"],
        stream_mode=stream_mode,
    )
    assert asks == 1
    assert "must not be asked" not in reply


async def test_cut_before_any_text_is_retried_and_the_full_answer_shown(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    reply, asks = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Cut()], [Snapshot(FULL), DoneEvent()]],
        [FULL],
        stream_mode=stream_mode,
    )
    assert asks == 2
    assert "⚠️" not in reply


async def test_document_instead_of_markdown_ends_with_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    document = {"object": "document", "nodes": []}
    reply, _ = await _fault_then_recovery(
        fake_slack,
        fake_gitbook,
        [[Snapshot(None, document=document), DoneEvent()]],
        ["⚠️", "unexpected format"],
        stream_mode=stream_mode,
    )
    assert "nodes" not in reply  # never the JSON tree


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([Snapshot(None), DoneEvent()], id="empty-snapshot"),
        pytest.param([Close()], id="clean-close-without-snapshot"),
    ],
)
async def test_empty_answer_says_no_answer_was_found_with_a_search_link(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, script: list[Step], stream_mode: str
) -> None:
    fake_gitbook.add_site_space("space_1", "https://docs.example.com/")
    reply, asks = await _fault_then_recovery(
        fake_slack, fake_gitbook, [script], ["couldn't find an answer"], stream_mode=stream_mode
    )
    assert asks == 1
    assert "https://docs.example.com/?q=" in reply


# --- 5. Slack faults -----------------------------------------------------------------------------


@asynccontextmanager
async def _held_after_first_edit(
    slack: FakeSlack, gitbook: FakeGitBook, final: str
) -> AsyncIterator[tuple[RunningBot, dict[str, Any], asyncio.Event]]:
    """A bot whose answer is held after its first intermediate edit landed.

    Edits are paced 30 s apart, so once the first edit is in, the next chat.update is the
    final one (a finished answer cuts the pause short).
    """
    release = asyncio.Event()
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(release), Snapshot(final), DoneEvent()])
    async with running_bot(slack, gitbook, edit_interval=30.0, STREAM_MODE="edit") as bot:
        event = mention(_unique("how do I rotate a key?"))
        await bot.event(event)
        await slack.wait_until(lambda: any(c.ok for c in slack.calls_to("chat.update")))
        yield bot, event, release


async def test_rate_limited_final_edit_is_retried_after_retry_after_and_lands(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with _held_after_first_edit(fake_slack, fake_gitbook, FULL) as (bot, event, release):
        fake_slack.rate_limit_next("chat.update", retry_after=1)
        release.set()
        reply = await _final_reply(fake_slack, event, "Settings → API keys")
        await _ask_and_expect(bot, "Back to normal.")
    assert fake_slack.count_429["chat.update"] == 1
    limited = next(i for i, c in enumerate(fake_slack.calls) if c.status == 429)
    retried = fake_slack.calls[limited + 1 :]
    assert any(c.method == "chat.update" and c.ok for c in retried)  # the same edit, retried
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1  # not reposted
    assert PLACEHOLDER not in reply and WRITING not in reply
    assert _pending(fake_slack) == []


@pytest.mark.parametrize("error", ["msg_too_long", "invalid_blocks"])
async def test_refused_final_edit_posts_the_answer_anew_and_removes_the_placeholder(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, error: str
) -> None:
    async with _held_after_first_edit(fake_slack, fake_gitbook, FULL) as (bot, event, release):
        placeholder_ts = fake_slack.calls_to("chat.update")[0].args["ts"]
        fake_slack.fail_next("chat.update", error, times=1)
        release.set()
        reply = await _final_reply(fake_slack, event, "Settings → API keys")
        await _ask_and_expect(bot, "Back to normal.")
    assert [m["ts"] for m in fake_slack.deleted] == [placeholder_ts]
    answers = [m for m in _thread(fake_slack, event) if "Settings → API keys" in visible_text(m)]
    assert len(answers) == 1 and answers[0]["ts"] != placeholder_ts
    assert PLACEHOLDER not in reply and WRITING not in reply
    assert _pending(fake_slack) == []


async def test_every_edit_refused_still_delivers_the_final_answer(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("chat.update", "msg_too_long", times=1000)
    fake_gitbook.script_ask([Snapshot(PARTIAL), Snapshot(FULL), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="edit") as bot:
        event = mention(_unique("how do I rotate a key?"))
        await bot.event(event)
        await _final_reply(fake_slack, event, "Settings → API keys")
    assert _pending(fake_slack) == []
    assert len([t for t in _texts(fake_slack.messages.values()) if "API keys" in t]) == 1


async def test_rate_limited_placeholder_post_is_retried_and_the_answer_lands(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1)
    fake_gitbook.script_ask([Snapshot(FULL), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="edit") as bot:
        event = mention(_unique("how do I rotate a key?"))
        await bot.event(event)
        await _final_reply(fake_slack, event, "Settings → API keys")
    assert fake_slack.count_429["chat.postMessage"] == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 2  # the 429, then the retry
    assert len(_thread(fake_slack, event)) == 1
    assert _pending(fake_slack) == []


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_refused_post_does_not_stop_the_bot_from_answering_the_next_question(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    caplog: pytest.LogCaptureFixture,
    error: str,
    stream_mode: str,
) -> None:
    # The reply's first call is refused: a placeholder post, or the start of a native stream.
    method = "chat.startStream" if stream_mode == "native" else "chat.postMessage"
    fake_slack.fail_next(method, error)
    fake_gitbook.script_ask([Snapshot(PARTIAL), Snapshot(FULL), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        event = mention(_unique("how do I rotate a key?"), channel="C0NOTIN")
        response = await bot.event(event)
        await fake_slack.wait_until(
            lambda: any(c.error == error for c in fake_slack.calls_to(method))
        )
        await _ask_and_expect(bot, "Back to normal.")
    assert response.status_code == 200
    assert _thread(fake_slack, event) == []
    # A clear log line names the channel and the reason.
    assert any("C0NOTIN" in r.getMessage() and error in r.getMessage() for r in caplog.records)
    # The asker is told privately, where Slack lets the bot do so.
    (note,) = fake_slack.calls_to("chat.postEphemeral")
    assert note.args["channel"] == "C0NOTIN" and note.args["user"] == event["user"]
    assert "/invite" in note.args["text"]


# --- 6. size limits ------------------------------------------------------------------------------


def _long_answer() -> tuple[str, list[str], list[str]]:
    """About 30,000 characters: paragraphs around a long fenced code block."""
    paragraphs = [
        f"Paragraph {i:02d} explains step {i} of the migration: "
        + " ".join(f"word{i}x{j}" for j in range(50))
        for i in range(40)
    ]
    code = [f"line_{k:03d} = migrate(record_{k}, batch={k % 7})  # step {k}" for k in range(220)]
    block = "```python\n" + "\n".join(code) + "\n```"
    markdown = "\n\n".join([*paragraphs[:20], block, *paragraphs[20:]])
    return markdown, paragraphs, code


def _fences_balanced(text: str) -> bool:
    return sum(1 for line in text.splitlines() if line.strip().startswith("```")) % 2 == 0


async def test_thirty_thousand_character_answer_lands_complete_across_several_messages(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    markdown, paragraphs, code = _long_answer()
    assert 28_000 < len(markdown) < 36_000
    gates = [asyncio.Event(), asyncio.Event()]
    fake_gitbook.script_ask(
        [
            Snapshot(markdown[:9_000]),
            WaitFor(gates[0]),
            Snapshot(markdown[:16_000]),  # cut inside the code block
            WaitFor(gates[1]),
            Snapshot(markdown),
            DoneEvent(),
        ]
    )
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        event = mention(_unique("how do I migrate?"))
        await bot.event(event)
        # Each snapshot is shown before the next comes (paragraph 18 ends the first message).
        for gate, shown in zip(gates, (paragraphs[0], paragraphs[18]), strict=True):
            await fake_slack.wait_until(_shows(fake_slack, event, shown))
            gate.set()
        await _final_reply(fake_slack, event, paragraphs[-1])
    assert fake_slack.refusals == []  # no size error, intermediate updates included
    if stream_mode == "native":  # streamed into the first message, not corrected afterwards
        assert [len(fake_slack.calls_to(m)) for m in ("chat.startStream", "chat.stopStream")] == [
            1,
            1,
        ]
        assert fake_slack.calls_to("chat.update") == []
    replies = _thread(fake_slack, event)
    assert len(replies) >= 3
    # The answer is in markdown blocks, or (a native stream) in the message's markdown_text.
    pieces = [
        str(block.get("text") or "")
        for m in replies
        for block in [{"type": "markdown", "text": m.get("markdown_text")}, *(m["blocks"] or [])]
        if block.get("type") == "markdown" and block.get("text")
    ]
    assert all(_fences_balanced(piece) for piece in pieces)
    joined = "\n".join(pieces)
    positions = [joined.find(p) for p in paragraphs]
    assert -1 not in positions, "a paragraph went missing"
    assert positions == sorted(positions), "paragraphs out of order"
    assert all(line in joined for line in code), "a code line went missing"
    assert _pending(fake_slack) == []


# --- 7. Redis down -------------------------------------------------------------------------------


async def test_question_is_answered_while_redis_is_down_and_health_recovers(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    redis_server: RedisServer,
    redis_key_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_bot(
        fake_slack, fake_gitbook, redis_url=redis_server.url, key_prefix=redis_key_prefix
    ) as bot:
        assert (await bot.client.get(f"{bot.url}/healthz")).json()["redis"] == "ok"
        await redis_server.astop()
        with caplog.at_level(logging.WARNING):
            await _ask_and_expect(bot, "Answered without Redis.")
            await _ask_and_expect(bot, "Answered again without Redis.")
        assert (await bot.client.get(f"{bot.url}/healthz")).json()["redis"] == "down"
        await redis_server.astart()
        assert (await bot.client.get(f"{bot.url}/healthz")).json()["redis"] == "ok"
        await _ask_and_expect(bot, "Answered with Redis back.")
    outage_warnings = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert len(outage_warnings) == 1  # once per outage, not once per call


async def test_event_retry_during_a_redis_outage_is_still_answered_once(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    question = _unique("how do I reset my password?")
    fake_gitbook.script_ask([Snapshot("Use the reset link."), DoneEvent()], question=question)
    async with running_bot(fake_slack, fake_gitbook, redis_url=redis_server.url) as bot:
        await redis_server.astop()
        event = mention(question)
        await bot.event(event, event_id="EvOUTAGE1")
        await _final_reply(fake_slack, event, "Use the reset link.")
        await bot.event(event, event_id="EvOUTAGE1", retry_num=1)
        await _ask_and_expect(bot, "Sentinel answer.")
    assert _asks_for(fake_gitbook, question) == 1
    assert _posts_in(fake_slack, event["channel"], event["ts"]) == 1


# --- 8. bad input --------------------------------------------------------------------------------

_NOTIFYING = re.compile(r"<!|<@|@(?:here|channel|everyone)")
CONTENT_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
)


async def test_mentions_and_broadcasts_in_the_answer_are_defanged(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    fake_gitbook.add_site_space("space_1", "https://docs.example.com/")
    fake_gitbook.add_page("space_1", "page_1", "Alerts for <!channel>", "alerts")
    answer = (
        "Ping <!here> or <!channel|channel>, ask <@U123> or <!subteam^S42|admins>, "
        "and never type @everyone in #general."
    )
    fake_gitbook.script_ask(
        [
            Snapshot(answer[:30]),
            Snapshot(answer, sources=[page_source()], followups=["Can I notify <!here>?"]),
            DoneEvent(),
        ]
    )
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        event = mention(_unique("how do I alert people?"))
        await bot.event(event)
        reply = await _final_reply(fake_slack, event, "never type")
    sent = [c.args for c in fake_slack.calls if c.method in CONTENT_METHODS]
    assert sent
    for args in sent:
        # Everything Slack renders: the notification text, the blocks, the button labels.
        rendered = [str(args.get("text") or ""), visible_text(args)]
        rendered += [b["text"]["text"] for b in buttons(args)]
        assert not any(_NOTIFYING.search(r) for r in rendered), rendered
    assert "U123" in reply and "here" in reply  # defanged, not deleted
    (final,) = _thread(fake_slack, event)
    assert "Can I notify @\u200bhere?" in [b["text"]["text"] for b in buttons(final)]


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda: direct_message("", subtype="file_share"), id="file-without-text"),
        pytest.param(lambda: {**direct_message("x"), "text": None}, id="text-null"),
        pytest.param(
            lambda: {**mention(""), "text": "<@UBOT|docsbot>  \n "}, id="only-a-labelled-mention"
        ),
    ],
)
async def test_question_without_text_gets_usage_help_and_no_ask(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, event: Callable[[], dict[str, Any]]
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        payload = event()
        response = await bot.event(payload)
        await fake_slack.wait_until(lambda: len(_thread(fake_slack, payload)) == 1)
        await _ask_and_expect(bot, "Sentinel answer.")
    assert response.status_code == 200
    (reply,) = _texts(_thread(fake_slack, payload))
    assert "Ask me a question" in reply
    assert len(fake_gitbook.ask_requests) == 1  # the sentinel's


# --- 9. per-user rate limit ----------------------------------------------------------------------


async def test_third_question_in_a_minute_gets_a_polite_refusal_and_no_ask(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    async with running_bot(
        fake_slack,
        fake_gitbook,
        redis_url=redis_url,
        key_prefix=redis_key_prefix,
        USER_QUESTIONS_PER_MINUTE="2",
    ) as bot:
        # The limit is a sliding 60-second window: three questions in a row exceed it.
        user = "U0RATE"
        asks_before = len(fake_gitbook.ask_requests)
        for n in (1, 2):
            await _ask_and_expect(bot, f"Answer {n} for {user}.", user=user)
        third = mention(_unique("and one more?"), user=user)
        await bot.event(third)
        await fake_slack.wait_until(functools.partial(_has_one_reply, fake_slack, third))
        other_user = await _ask_and_expect(bot, "Someone else is answered.", user="U0OTHER")
    (refusal,) = _texts(_thread(fake_slack, third))
    assert "asking faster" in refusal and "2 a minute" in refusal
    assert len(fake_gitbook.ask_requests) - asks_before == 3  # two of this user's + U0OTHER's
    assert "Someone else" in other_user  # the limit is per user


# --- 10. graceful shutdown -----------------------------------------------------------------------


async def test_shutdown_closes_an_answer_in_flight_with_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    fake_gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    event = mention(_unique("how do I rotate a key?"))
    async with running_bot(
        fake_slack, fake_gitbook, shutdown_grace=0.2, STREAM_MODE=stream_mode
    ) as bot:
        await bot.event(event)
        await fake_slack.wait_until(_shows(fake_slack, event, PARTIAL_SHOWN))
    (message,) = _thread(fake_slack, event)
    reply = visible_text(message)
    assert not _working(message)
    assert "restarted" in reply and "try again" in reply.lower()
    # "restarted", not "took too long": the shutdown closed it, not a GitBook timeout.
    assert "took too long" not in reply


async def test_shutdown_keeps_the_partial_answer_shown_so_far(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    fake_gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    event = mention(_unique("how do I rotate a key?"))
    async with running_bot(
        fake_slack, fake_gitbook, shutdown_grace=0.2, STREAM_MODE=stream_mode
    ) as bot:
        await bot.event(event)
        await fake_slack.wait_until(_shows(fake_slack, event, PARTIAL_SHOWN))
    (reply,) = _texts(_thread(fake_slack, event))
    # What the asker already read is not taken away (nor what had arrived, still unshown).
    assert PARTIAL in reply
    assert "⚠️" in reply and "restarted" in reply


async def _refuses_connections(url: str) -> bool:
    """Whether a new connection to url is refused (the server stopped listening)."""
    async with httpx.AsyncClient(timeout=2) as probe:
        try:
            await probe.get(url)
        except httpx.ConnectError:
            return True
    return False


async def test_shutdown_stops_taking_events_and_lets_an_answer_in_flight_finish(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    release = asyncio.Event()
    fake_gitbook.script_ask([Snapshot(PARTIAL), WaitFor(release), Snapshot(FULL), DoneEvent()])
    event = mention(_unique("how do I rotate a key?"))
    async with running_bot(
        fake_slack, fake_gitbook, shutdown_grace=5.0, STREAM_MODE=stream_mode
    ) as bot:
        await bot.event(event)
        await fake_slack.wait_until(_shows(fake_slack, event, PARTIAL_SHOWN))
        stopping = asyncio.create_task(bot.service.shutdown())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while not await _refuses_connections(f"{bot.url}/healthz"):
            assert loop.time() < deadline, "the server kept accepting connections"
            await asyncio.sleep(0.01)
        assert not stopping.done()  # still waiting for the answer in flight
        release.set()  # GitBook finishes within the grace period
        await stopping
    (reply,) = _texts(_thread(fake_slack, event))
    assert "Settings → API keys" in reply
    assert "⚠️" not in reply
