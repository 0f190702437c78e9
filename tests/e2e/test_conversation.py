"""Threads remember earlier turns; feedback is recorded once per person per answer."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import RunningBot, mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source
from tests.fakes.openapi import validate_request_body
from tests.fakes.slack_api import FakeSlack, buttons, visible_text


async def _asked_and_answered(
    bot: RunningBot, event: dict[str, Any], *, asks: int, shows: str
) -> None:
    """Deliver event, wait for GitBook's ask number `asks`, then for `shows` in Slack."""
    await bot.event(event)
    await bot.gitbook.wait_until(lambda: len(bot.gitbook.ask_requests) == asks)
    await bot.slack.wait_until(
        lambda: any(shows in visible_text(m) for m in bot.slack.messages.values())
    )


async def test_a_follow_up_in_the_thread_sends_earlier_turns_as_context(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    redis_url: str,
    redis_key_prefix: str,
    stream_mode: str,
) -> None:
    fake_gitbook.script_ask([Snapshot("Use the CLI: `docs login`."), DoneEvent()])
    fake_gitbook.script_ask([Snapshot("Run `docs logout`."), DoneEvent()])
    async with running_bot(
        fake_slack,
        fake_gitbook,
        redis_url=redis_url,
        key_prefix=redis_key_prefix,
        STREAM_MODE=stream_mode,
    ) as bot:
        first = mention("how do I log in?")
        await _asked_and_answered(bot, first, asks=1, shows="docs login")
        await _asked_and_answered(
            bot, mention("and to log out?", thread_ts=first["ts"]), asks=2, shows="docs logout"
        )
    assert "context" not in fake_gitbook.ask_requests[0].body
    follow_up = fake_gitbook.ask_requests[1].body
    assert follow_up["question"] == "and to log out?"
    goal = follow_up["context"]["goal"]
    assert "how do I log in?" in goal and "docs login" in goal
    assert len(goal) <= 1024
    validate_request_body("/orgs/{organizationId}/sites/{siteId}/ask", "post", follow_up)
    assert fake_gitbook.schema_errors == []


async def test_the_same_question_in_another_thread_has_no_context(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await _asked_and_answered(bot, mention("first question"), asks=1, shows="Hello world")
        await bot.event(mention("second question"))
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.ask_requests) == 2)
    assert all("context" not in r.body for r in fake_gitbook.ask_requests)


async def test_feedback_is_acknowledged_and_recorded_once_per_person(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    fake_gitbook.script_ask(
        [
            Snapshot("Hello there"),
            Snapshot("Hello there, world", sources=[page_source()], followups=["More?"]),
            DoneEvent(),
        ]
    )
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        event = mention("hello?")
        await bot.event(event)
        await fake_slack.wait_until(
            lambda: (
                any("Hello there, world" in visible_text(m) for m in fake_slack.messages.values())
                and any(buttons(m) for m in fake_slack.messages.values())
            )
        )
        (channel, ts), reply = next(
            (k, m)
            for k, m in fake_slack.messages.items()
            if "Hello there, world" in visible_text(m)
        )
        helpful = next(b for b in buttons(reply) if b["action_id"] == "docsbot_feedback_helpful")
        _, first_key = await bot.click(
            helpful, channel=channel, message_ts=ts, thread_ts=event["ts"]
        )
        _, again_key = await bot.click(
            helpful, channel=channel, message_ts=ts, thread_ts=event["ts"]
        )
        await fake_slack.wait_until(
            lambda: fake_slack.webhooks_to(first_key) and fake_slack.webhooks_to(again_key)
        )
        rating = await bot.service.deps.store.get(f"docsbot:feedback:{helpful['value']}:U0ASKER7")
    assert "Thanks for the feedback" in fake_slack.webhooks_to(first_key)[0].body["text"]
    assert "already rated" in fake_slack.webhooks_to(again_key)[0].body["text"]
    assert rating is not None and '"helpful": true' in rating
    assert len(fake_slack.posts()) == 1
    assert fake_slack.posts()[0].method == (
        "chat.startStream" if stream_mode == "native" else "chat.postMessage"
    )
    # A rating is not a question: still exactly one ask_question event.
    await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 1)


async def test_an_answer_shaped_by_thread_context_is_not_served_to_other_threads(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("Log in with `docs login`."), DoneEvent()])
    fake_gitbook.script_ask([Snapshot("In that case, use the SSO button."), DoneEvent()])
    fake_gitbook.script_ask([Snapshot("Generally: see the setup guide."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        first = mention("how do I log in?")
        await _asked_and_answered(bot, first, asks=1, shows="docs login")
        await _asked_and_answered(
            bot, mention("what next?", thread_ts=first["ts"]), asks=2, shows="SSO button"
        )
        await bot.event(mention("What next"))  # the same words, in a new thread
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.ask_requests) == 3)
        await fake_slack.wait_until(
            lambda: any("setup guide" in visible_text(m) for m in fake_slack.messages.values())
        )
    assert "context" in fake_gitbook.ask_requests[1].body
    assert "context" not in fake_gitbook.ask_requests[2].body
