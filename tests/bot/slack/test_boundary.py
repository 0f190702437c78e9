"""The error boundary against the fake Slack: who is told what when a listener fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.errors import GitBookTimeout, ReplyClosed, SlackDeliveryError
from bot.slack.boundary import on_listener_error, request_kind
from tests.fakes.slack_api import FakeSlack, visible_text


def _client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


def _event_body(**event: Any) -> dict[str, Any]:
    base = {"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.0", "channel": "C1"}
    return {"type": "event_callback", "event_id": "Ev1", "event": {**base, **event}}


async def test_a_failed_mention_is_answered_in_its_thread(fake_slack: FakeSlack) -> None:
    await on_listener_error(_client(fake_slack), RuntimeError("bug"), _event_body(), None)
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post.args["channel"] == "C1" and post.args["thread_ts"] == "1.0"
    assert notices.GENERIC_ERROR in visible_text(post.args)


async def test_a_failed_top_level_dm_is_answered_at_top_level(fake_slack: FakeSlack) -> None:
    body = _event_body(type="message", channel="D1", channel_type="im")
    await on_listener_error(_client(fake_slack), RuntimeError("bug"), body, None)
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post.args["channel"] == "D1" and post.args.get("thread_ts") is None


async def test_a_failed_command_or_button_is_answered_privately(fake_slack: FakeSlack) -> None:
    respond = AsyncRespond(response_url=fake_slack.response_url("k1"))
    body = {"command": "/docs", "text": "q", "response_url": fake_slack.response_url("k1")}
    await on_listener_error(_client(fake_slack), GitBookTimeout("slow"), body, respond)
    (webhook,) = fake_slack.webhooks_to("k1")
    assert webhook.body["response_type"] == "ephemeral"
    assert notices.for_error(GitBookTimeout("slow")) in visible_text(webhook.body)
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ReplyClosed("closed"), id="reply-already-closed"),
        pytest.param(SlackDeliveryError("chat.postMessage", "not_in_channel"), id="undeliverable"),
    ],
)
async def test_nothing_more_is_posted_when_the_asker_was_told_or_cannot_be(
    fake_slack: FakeSlack, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.slack.boundary"):
        await on_listener_error(_client(fake_slack), error, _event_body(), None)
    assert fake_slack.calls_to("chat.postMessage") == []
    assert caplog.records  # still logged, once


async def test_a_failure_with_nobody_to_tell_is_only_logged(fake_slack: FakeSlack) -> None:
    body = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1"}}
    await on_listener_error(_client(fake_slack), RuntimeError("bug"), body, None)
    assert fake_slack.calls == []


def test_request_kind_names_commands_and_payload_types() -> None:
    assert request_kind({"command": "/docs"}) == "command"
    assert request_kind({"type": "block_actions"}) == "block_actions"
    assert request_kind({}) == "unknown"
