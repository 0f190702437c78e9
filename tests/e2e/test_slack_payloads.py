"""Real Slack payload shapes end to end: broadcasts, edits, Grid, Slack Connect, odd events.

Shapes follow Slack's documented payloads (docs/slack.md §6, §7 and §9): Enterprise Grid
`authorizations` and `enterprise_id`, Slack Connect `user_team` / `source_team`, `file_share`
messages, `thread_broadcast` replies, `edited` re-deliveries, `app_rate_limited` notices.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.e2e.harness import (
    TEAM,
    RunningBot,
    direct_message,
    event_callback,
    mention,
    next_ts,
    running_bot,
)
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, WaitFor, page_source
from tests.fakes.slack_api import FakeSlack, buttons, visible_text

SENTINEL = "sentinel question"


def _answer(gitbook: FakeGitBook, text: str, *, question: str | None = None) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    gitbook.script_ask([Snapshot(text, sources=[page_source()]), DoneEvent()], question=question)


def _final_in(slack: FakeSlack, channel: str, thread_ts: str | None) -> list[dict[str, Any]]:
    return [
        m
        for (c, _), m in slack.messages.items()
        if c == channel
        and m.get("thread_ts") == thread_ts
        and "Sources" in visible_text(m)
        and not m.get("streaming")
    ]


async def _sentinel_answered(bot: RunningBot) -> None:
    """Ask one more question and wait for its answer: everything sent before it was handled."""
    _answer(bot.gitbook, "Sentinel answer.", question=SENTINEL)
    sentinel = mention(SENTINEL, channel="C0SENTINEL")
    await bot.event(sentinel)
    await bot.slack.wait_until(lambda: bool(_final_in(bot.slack, "C0SENTINEL", sentinel["ts"])))


async def test_thread_broadcast_mention_is_answered_once_in_its_thread(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Broadcasts are answered.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        parent = next_ts()
        event = {
            **mention("do broadcasts work?", thread_ts=parent),
            "subtype": "thread_broadcast",
            "root": {"type": "message", "user": "U0OTHER", "ts": parent, "text": "context"},
        }
        twin = {**event, "type": "message", "channel_type": "channel"}
        assert (await bot.event(event)).status_code == 200
        assert (await bot.event(twin)).status_code == 200
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "C0CHAN9", parent)))
        await _sentinel_answered(bot)
    assert len(_final_in(fake_slack, "C0CHAN9", parent)) == 1
    assert [r.question for r in fake_gitbook.ask_requests] == ["do broadcasts work?", SENTINEL]


async def test_thread_broadcast_in_a_dm_thread_is_answered(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Answered in the DM thread.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        parent = next_ts()
        event = direct_message("and in DMs?", subtype="thread_broadcast", thread_ts=parent)
        await bot.event(event)
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "D0DM1", parent)))


async def test_edited_mention_redelivered_however_late_gets_no_second_reply(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "The first answer.")
    event = mention("how do I log in?")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event(event)
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "C0CHAN9", event["ts"])))
    # Slack re-delivers an edited mention as a new app_mention: fresh event_id, same ts,
    # `edited` set, at any later time. A fresh process (its memory store empty) stands for
    # "long after every de-duplication record expired".
    edited = {
        **event,
        "text": "<@UBOT> how do I log in with SSO?",
        "edited": {"user": event["user"], "ts": str(time.time() + 3600)},
    }
    async with running_bot(fake_slack, fake_gitbook) as later:
        assert (await later.event(edited)).status_code == 200
        await _sentinel_answered(later)
    assert len(_final_in(fake_slack, "C0CHAN9", event["ts"])) == 1
    assert [r.question for r in fake_gitbook.ask_requests] == ["how do I log in?", SENTINEL]


async def test_app_rate_limited_and_unknown_event_types_are_acknowledged_with_200(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        rate_limited = {
            "token": "legacy",
            "type": "app_rate_limited",
            "team_id": TEAM,
            "minute_rate_limited": int(time.time()) // 60 * 60,
            "api_app_id": "A1",
        }
        response = await bot.post(json.dumps(rate_limited), "application/json")
        assert response.status_code == 200
        for event in (
            {"type": "reaction_added", "user": "U0ASKER7", "reaction": "thumbsup"},
            {"type": "member_joined_channel", "user": "U0NEW", "channel": "C0CHAN9"},
            {"type": "a_type_slack_adds_next_year", "ts": next_ts()},
        ):
            assert (await bot.event(event)).status_code == 200, event["type"]
        await _sentinel_answered(bot)
    assert [r.question for r in fake_gitbook.ask_requests] == [SENTINEL]


async def test_enterprise_grid_and_slack_connect_payloads_are_answered_in_the_workspace(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Grid answer.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = {
            **mention("does grid work?"),
            "team": "T0GUEST",  # a Slack Connect guest's own workspace
            "user_team": "T0GUEST",
            "source_team": "T0GUEST",
            "user_profile": {"name": "guest", "team": "T0GUEST"},
        }
        payload = {
            **event_callback(event),
            "enterprise_id": "E0GRID",
            "is_ext_shared_channel": True,
            "context_team_id": TEAM,
            "context_enterprise_id": "E0GRID",
            "authorizations": [
                {
                    "enterprise_id": "E0GRID",
                    "team_id": TEAM,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        assert (await bot.post(json.dumps(payload), "application/json")).status_code == 200
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "C0CHAN9", event["ts"])))
    # A native stream or rate limits key on the installed workspace, not the guest's.
    assert all(c.args.get("recipient_team_id") in (None, TEAM) for c in fake_slack.calls)


async def test_file_share_message_is_answered_from_its_text(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Screenshots help.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = direct_message(
            "why does this fail?",
            subtype="file_share",
            files=[{"id": "F0FILE", "name": "error.png", "mimetype": "image/png"}],
            upload=False,
        )
        await bot.event(event)
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "D0DM1", None)))
    assert fake_gitbook.ask_requests[0].question == "why does this fail?"


async def test_block_actions_without_a_user_is_acknowledged_and_ignored(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "api_app_id": "A1",
            "container": {"type": "message", "channel_id": "C0CHAN9", "message_ts": "1.1"},
            "actions": [{"action_id": "docsbot_refresh", "value": "abc", "type": "button"}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        response = await bot.post(body, "application/x-www-form-urlencoded")
        assert response.status_code == 200
        await _sentinel_answered(bot)
    assert [r.question for r in fake_gitbook.ask_requests] == [SENTINEL]


async def test_share_by_someone_else_is_refused_and_nothing_is_posted(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Private answer.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        _, key = await bot.command("is this private?")
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        share = next(
            b
            for b in buttons(fake_slack.webhooks_to(key)[0].body)
            if b["action_id"] == "docsbot_share"
        )
        _, other = await bot.click(
            share, channel="C0CHAN9", message_ts="1.1", ephemeral=True, user="U0INTRUDER"
        )
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(other)) == 1)
        refusal = fake_slack.webhooks_to(other)[0]
    assert "Only the person who asked" in visible_text(refusal.body)
    assert not refusal.delete_original
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_refresh_replayed_on_another_message_is_refused(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Cached answer text.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        first = mention("what is cached?")
        await bot.event(first)
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "C0CHAN9", first["ts"])))
        second = mention("What is cached")
        await bot.event(second)
        await fake_slack.wait_until(lambda: bool(_final_in(fake_slack, "C0CHAN9", second["ts"])))
        cached = _final_in(fake_slack, "C0CHAN9", second["ts"])[0]
        refresh = next(b for b in buttons(cached) if b["action_id"] == "docsbot_refresh")
        # The same button value, clicked "on" the first reply, which does not carry it.
        first_reply = _final_in(fake_slack, "C0CHAN9", first["ts"])[0]
        _, key = await bot.click(refresh, channel="C0CHAN9", message_ts=first_reply["ts"])
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert "too old to refresh" in visible_text(fake_slack.webhooks_to(key)[0].body)
    assert len(fake_gitbook.ask_requests) == 1  # no Ask for the replayed click


async def test_private_answer_cut_short_by_shutdown_ends_with_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    hold = asyncio.Event()
    fake_gitbook.script_ask([Snapshot("The first half of the answer"), WaitFor(hold), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook, shutdown_grace=0.2) as bot:
        _, key = await bot.command("will this finish?")
        await fake_gitbook.wait_until(lambda: fake_gitbook.holds(hold))
    # Leaving the block shut the service down while the answer hung.
    (last,) = fake_slack.webhooks_to(key)
    text = visible_text(last.body)
    assert "The first half of the answer" in text
    assert "restarted before finishing" in text
