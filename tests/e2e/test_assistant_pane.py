"""Slack's assistant pane end to end: suggested prompts, thread titles, answers in its threads.

The agent experience sets prompts when the Messages tab opens (no `thread_ts`: the fake, like
Slack, silently ignores a call with one); the legacy experience sets them per thread and names
each thread after its first question.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from tests.e2e.harness import RunningBot, direct_message, running_bot
from tests.fakes.gitbook import (
    DoneEvent,
    FakeGitBook,
    HttpError,
    Snapshot,
    ask_question_event,
    page_source,
)
from tests.fakes.slack_api import FakeSlack, visible_text

VIEWER = "U0DOCS1"
PERSON = "U0ASKER7"
DM = "D0DM1"
STARTERS = [
    "What can you help me with?",
    "How do I get started?",
    "Where can I find the API reference?",
    "What's new in the docs?",
]
SECRET_QUESTION = "Why was my account suspended?"


def _messages_tab(user: str = PERSON, channel: str = DM) -> dict[str, Any]:
    ts = f"{int(time.time())}.000001"
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "messages",
        "event_ts": ts,
    }


def _thread_started(thread_ts: str, user: str = PERSON) -> dict[str, Any]:
    thread = {"user_id": user, "channel_id": DM, "thread_ts": thread_ts, "context": {}}
    return {"type": "assistant_thread_started", "assistant_thread": thread, "event_ts": thread_ts}


def _seed_popular(gitbook: FakeGitBook) -> None:
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    gitbook.seed_events(
        [
            *(ask_question_event(SECRET_QUESTION, yesterday) for _ in range(3)),
            *(ask_question_event("How do I export data?", yesterday) for _ in range(2)),
        ]
    )


def _prompt_messages(slack: FakeSlack, channel: str, thread: str | None) -> list[str]:
    return [p["message"] for p in slack.suggested_prompts[(channel, thread)]["prompts"]]


async def _tab_prompts(bot: RunningBot, user: str = PERSON) -> list[str]:
    before = len(bot.slack.calls_to("assistant.threads.setSuggestedPrompts"))
    assert (await bot.event(_messages_tab(user))).status_code == 200
    await bot.slack.wait_until(
        lambda: len(bot.slack.calls_to("assistant.threads.setSuggestedPrompts")) > before
    )
    call = bot.slack.calls_to("assistant.threads.setSuggestedPrompts")[-1]
    assert call.ok and "thread_ts" not in call.args  # the agent view: no thread_ts
    return _prompt_messages(bot.slack, DM, None)


async def test_opening_the_messages_tab_sets_the_starters_without_thread_ts(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        prompts = await _tab_prompts(bot)
    assert prompts == STARTERS
    assert fake_slack.ignored_prompt_calls == []
    assert fake_slack.calls_to("views.publish") == []  # the Home tab is another tab


async def test_configured_prompts_replace_the_starters(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    env = {"SUGGESTED_PROMPTS": "How do I deploy?; Where are the runbooks?"}
    async with running_bot(fake_slack, fake_gitbook, **env) as bot:
        prompts = await _tab_prompts(bot)
    assert prompts == ["How do I deploy?", "Where are the runbooks?"]


async def test_prompts_are_set_at_most_once_per_user_and_hour(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await _tab_prompts(bot)
        await bot.event(_messages_tab())  # opened again
        await _tab_prompts(bot, user="U0SOMEONE")  # someone else still gets theirs
    calls = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert len(calls) == 2


async def test_the_docs_team_sees_the_most_asked_questions(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed_popular(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        viewer = await _tab_prompts(bot, user=VIEWER)
        person = await _tab_prompts(bot, user=PERSON)
    assert viewer == [SECRET_QUESTION, "How do I export data?"]
    assert person == STARTERS  # question texts from insights never leave the docs team
    assert fake_gitbook.schema_errors == []


async def test_the_docs_team_gets_the_starters_when_insights_fail(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_aggregate(HttpError(403, "no insights for this token"))
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        prompts = await _tab_prompts(bot, user=VIEWER)
    assert prompts == STARTERS
    assert len(fake_gitbook.aggregate_requests) == 1


async def test_a_message_in_the_messages_tab_is_answered_like_any_dm(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event(direct_message("how do I start?"))
        await fake_slack.wait_until(
            lambda: any("Hello world" in visible_text(m) for m in fake_slack.messages.values())
        )
    assert fake_slack.posts()[0].args["channel"] == DM


async def test_a_legacy_thread_gets_prompts_for_its_thread_at_every_start(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.agent_view = False  # the workspace is still on assistant_view
    async with running_bot(fake_slack, fake_gitbook) as bot:
        for thread_ts in ("1700000000.000100", "1700000000.000200"):
            await bot.event(_thread_started(thread_ts))
        await fake_slack.wait_until(lambda: len(fake_slack.suggested_prompts) == 2)
    for thread_ts in ("1700000000.000100", "1700000000.000200"):
        assert _prompt_messages(fake_slack, DM, thread_ts) == STARTERS


async def test_a_legacy_thread_is_named_after_its_first_question_and_answered_in_it(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.agent_view = False
    fake_gitbook.add_site_space("space_1", "https://docs.example.com/")
    fake_gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    fake_gitbook.script_ask(
        [Snapshot("Open Settings, then SSO.", sources=[page_source()]), DoneEvent()],
        question="How do I set up SSO?",
    )
    thread_ts = "1700000000.000300"
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event(_thread_started(thread_ts))
        await fake_slack.wait_until(lambda: (DM, thread_ts) in fake_slack.suggested_prompts)
        first = direct_message("How do I set up SSO?", thread_ts=thread_ts)
        await bot.event(first, event_id="EvLEGACY1")
        await bot.event(first, event_id="EvLEGACY1", retry_num=1)  # a retry: still one title
        await fake_slack.wait_until(lambda: _answered_in(fake_slack, thread_ts, "Open Settings"))
        await bot.event(direct_message("And SCIM?", thread_ts=thread_ts))
        await fake_slack.wait_until(lambda: _answered_in(fake_slack, thread_ts, "Hello world"))
    assert fake_slack.thread_titles == {(DM, thread_ts): "How do I set up SSO?"}
    assert len(fake_slack.calls_to("assistant.threads.setTitle")) == 1
    assert all(c.args.get("thread_ts") == thread_ts for c in fake_slack.posts())
    answer = next(m for m in fake_slack.thread(DM, thread_ts) if "Open Settings" in visible_text(m))
    assert "https://docs.example.com/getting-started" in visible_text(answer)


async def test_a_dm_thread_that_did_not_start_in_the_pane_gets_no_title(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event(direct_message("how do I start?", thread_ts="1700000000.000400"))
        await fake_slack.wait_until(
            lambda: _answered_in(fake_slack, "1700000000.000400", "Hello world")
        )
    assert fake_slack.calls_to("assistant.threads.setTitle") == []


def _answered_in(slack: FakeSlack, thread_ts: str, text: str) -> bool:
    return any(
        text in visible_text(m) and not m.get("streaming") for m in slack.thread(DM, thread_ts)
    )
