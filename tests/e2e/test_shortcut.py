"""The message shortcut "Ask the docs" end to end: a private answer, then Share in thread."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.e2e.harness import TEAM, RunningBot, next_ts, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source
from tests.fakes.slack_api import FakeSlack, Webhook, buttons, visible_text

CHANNEL = "C0CHAN9"
USER = "U0ASKER7"


def _answer(gitbook: FakeGitBook, question: str, text: str = "Use SAML single sign-on.") -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/", "sitesp_1", title="Guides")
    gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    gitbook.script_ask([Snapshot(text, sources=[page_source()]), DoneEvent()], question=question)


async def _shortcut(
    bot: RunningBot, message: dict[str, Any], *, user: str = USER
) -> tuple[httpx.Response, str]:
    """Use "Ask the docs" on message (as Slack sends a message_action)."""
    key = f"sc{message['ts']}{user}"
    payload = {
        "type": "message_action",
        "callback_id": "ask_docs",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "team_id": TEAM, "name": "alice"},
        "channel": {"id": CHANNEL, "name": "general"},
        "message": message,
        "message_ts": message["ts"],
        "trigger_id": "tr1",
        "response_url": bot.slack.response_url(key),
        "action_ts": "1700000001.000001",
        "token": "legacy",
        "api_app_id": "A1",
    }
    body = urlencode({"payload": json.dumps(payload)})
    return await bot.post(body, "application/x-www-form-urlencoded"), key


def _message(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": "U0AUTHOR", "text": text, "ts": next_ts(), **extra}


async def _private(bot: RunningBot, key: str) -> Webhook:
    await bot.slack.wait_until(lambda: len(bot.slack.webhooks_to(key)) == 1)
    (reply,) = bot.slack.webhooks_to(key)
    assert reply.body["response_type"] == "ephemeral"
    return reply


async def test_the_shortcut_answers_the_messages_text_privately_in_its_thread(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    question = "@Dana says: how do I set up SSO? see the guide"
    _answer(fake_gitbook, question)
    async with running_bot(fake_slack, fake_gitbook) as bot:
        message = _message(
            "<@U0DANA|Dana> says: how do I set up SSO? see <https://x.io/sso|the guide>",
            thread_ts="1700000000.000001",
        )
        response, key = await _shortcut(bot, message)
        assert response.status_code == 200
        reply = await _private(bot, key)
    assert [r.question for r in fake_gitbook.ask_requests] == [question]  # made readable
    assert reply.body["thread_ts"] == "1700000000.000001"  # in the message's thread
    assert "Use SAML single sign-on." in visible_text(reply.body)
    share = [b for b in buttons(reply.body) if b["action_id"] == "docsbot_share_thread"]
    assert [b["text"]["text"] for b in share] == ["Share in thread"]
    assert not [b for b in buttons(reply.body) if b["action_id"] == "docsbot_share"]
    assert fake_slack.posts() == []  # nothing public


async def test_share_in_thread_posts_the_same_answer_in_the_messages_thread(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "where are the audit logs?", "Under Settings, Audit.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        message = _message("where are the audit logs?")  # top level: no thread yet
        _, key = await _shortcut(bot, message)
        reply = await _private(bot, key)
        assert "thread_ts" not in reply.body  # Slack shows ephemerals only in active threads
        (share,) = [b for b in buttons(reply.body) if b["action_id"] == "docsbot_share_thread"]
        _, share_key = await bot.click(share, channel=CHANNEL, message_ts="1.1", ephemeral=True)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(share_key)) == 1)
    (public,) = [c.args for c in fake_slack.calls_to("chat.postMessage")]
    assert public["channel"] == CHANNEL and public["thread_ts"] == message["ts"]
    assert "Under Settings, Audit." in visible_text(public)
    assert f"<@{USER}>" in visible_text(public)  # credits who shared it
    assert fake_slack.webhooks_to(share_key)[0].delete_original  # the private copy goes
    assert len(fake_gitbook.ask_requests) == 1  # sharing does not ask again


async def test_only_the_person_who_used_the_shortcut_can_share(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "where are the audit logs?")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        _, key = await _shortcut(bot, _message("where are the audit logs?"))
        reply = await _private(bot, key)
        (share,) = [b for b in buttons(reply.body) if b["action_id"] == "docsbot_share_thread"]
        _, share_key = await bot.click(
            share, channel=CHANNEL, message_ts="1.1", ephemeral=True, user="U0SOMEONE"
        )
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(share_key)) == 1)
    assert "Only the person who asked" in visible_text(fake_slack.webhooks_to(share_key)[0].body)
    assert fake_slack.posts() == []


async def test_empty_or_over_long_text_gets_the_same_notices_as_a_mention(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        _, empty_key = await _shortcut(bot, _message("<@UBOT>"))
        _, long_key = await _shortcut(bot, _message("why " * 200))
        empty = await _private(bot, empty_key)
        too_long = await _private(bot, long_key)
    assert "Ask me a question about the docs" in visible_text(empty.body)
    assert "at most 512" in visible_text(too_long.body)
    assert fake_gitbook.ask_requests == []


async def test_a_scoped_channels_shortcut_questions_are_scoped(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "where are the audit logs?")
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS="U0DOCS1") as bot:
        _, key = await bot.command("scope Guides", user="U0DOCS1", channel=CHANNEL)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        _, answer_key = await _shortcut(bot, _message("where are the audit logs?"))
        await _private(bot, answer_key)
    (request,) = fake_gitbook.ask_requests
    assert request.body["scope"] == {"mode": "specific", "siteSpaceIds": ["sitesp_1"]}
    assert fake_gitbook.schema_errors == []
