"""Socket Mode end to end: the real app connects to a fake Slack socket, acks envelopes, answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.errors import StartupError
from bot.service import Service
from bot.settings import Settings
from tests.e2e.harness import bot_env, event_callback, mention
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.slack_api import FakeSlack, visible_text
from tests.support import free_port, wait_until


@asynccontextmanager
async def socket_bot(
    slack: FakeSlack, gitbook: FakeGitBook, app_token: str = "xapp-1-A1-test"
) -> AsyncIterator[Service]:
    env = bot_env(slack, gitbook, SLACK_APP_TOKEN=app_token)
    del env["SLACK_SIGNING_SECRET"]  # not needed in Socket Mode
    async with Service(Settings.from_env(env), host="127.0.0.1", shutdown_grace=2.0) as service:
        yield service


async def _ready_within(client: httpx.AsyncClient, url: str, seconds: float = 5.0) -> object:
    """/readyz once it says 200 (the socket connects in the background), or its last answer."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await client.get(url)
        if response.status_code == 200 or asyncio.get_running_loop().time() > deadline:
            return response.json()
        await asyncio.sleep(0.02)  # polling an HTTP endpoint: no event to wait on


async def test_an_envelope_is_acknowledged_and_the_mention_answered(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with socket_bot(fake_slack, fake_gitbook) as service:
        await fake_slack.wait_until(lambda: bool(fake_slack.sockets))
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{service.port}/healthz")
            events = await client.post(f"http://127.0.0.1:{service.port}/slack/events")
            ready = await _ready_within(client, f"http://127.0.0.1:{service.port}/readyz")
        event = mention("hello over the socket?")
        envelope_id = await fake_slack.send_envelope(event_callback(event))
        await fake_slack.wait_until(
            lambda: any(a.get("envelope_id") == envelope_id for a in fake_slack.socket_acks)
        )
        await fake_slack.wait_until(
            lambda: any("Hello world" in visible_text(m) for m in fake_slack.messages.values())
        )
    assert health.json() == {"status": "ok", "redis": "memory"}
    assert ready == {"status": "ok", "redis": "memory", "ready": True}
    assert events.status_code == 404  # no HTTP events endpoint in Socket Mode
    (post, *_) = fake_slack.calls_to("chat.postMessage")
    assert post.args["thread_ts"] == event["ts"]
    assert fake_gitbook.ask_requests[0].question == "hello over the socket?"


async def test_a_refused_app_token_stops_start_up_with_one_clear_error(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    with pytest.raises(StartupError, match="SLACK_APP_TOKEN was refused"):
        async with socket_bot(fake_slack, fake_gitbook, app_token="xapp-revoked"):
            pass


async def test_a_socket_that_cannot_connect_is_not_ready_and_logs_one_line_per_attempt(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.socket_url = f"ws://127.0.0.1:{free_port()}/socket"  # nothing listens there
    with caplog.at_level(logging.INFO, logger="bot.slack.socket"):
        async with socket_bot(fake_slack, fake_gitbook) as service:
            await wait_until(
                lambda: any(r.name == "bot.slack.socket" for r in caplog.records),
                timeout=5.0,
                describe=lambda: f"{len(caplog.records)} records",
            )
            async with httpx.AsyncClient() as client:
                health = await client.get(f"http://127.0.0.1:{service.port}/healthz")
                ready = await client.get(f"http://127.0.0.1:{service.port}/readyz")
    assert health.status_code == 200  # alive, so nobody restarts it in a loop
    assert ready.status_code == 503 and ready.json()["ready"] is False
    attempts = [r for r in caplog.records if r.name == "bot.slack.socket"]
    assert attempts and all(r.exc_info is None for r in attempts)
    assert all("\n" not in r.getMessage() for r in attempts)
