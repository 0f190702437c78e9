"""The HTTP surface under attack and under load: signatures, malformed bodies, health, fast acks.

Issue 4, point 3 (signatures) and the contract's "HTTP surface" section, driven over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.harness import SIGNING_SECRET, RunningBot, event_callback, mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, WaitFor
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_api import FakeSlack, sign_slack_request, visible_text


def _callback(event: dict[str, Any], event_id: str) -> str:
    """An Events API body for event, as Slack would send it."""
    return json.dumps(event_callback(event, event_id=event_id))


async def _answered_in_thread(slack: FakeSlack, channel: str, thread_ts: str, text: str) -> None:
    """Wait for the final answer (containing text, no longer being written) in a thread."""

    def final() -> bool:
        return any(
            text in visible_text(m) and "Writing" not in visible_text(m)
            for m in slack.thread(channel, thread_ts)
        )

    await slack.wait_until(final)


async def _health(bot: RunningBot) -> tuple[int, dict[str, Any]]:
    response = await bot.client.get(f"{bot.url}/healthz")
    return response.status_code, response.json()


# --- signatures (issue 4, point 3) ---------------------------------------------------------------


def _wrong_secret(body: str) -> dict[str, str]:
    return sign_slack_request(body, "not-the-signing-secret")


def _stale(body: str) -> dict[str, str]:
    return sign_slack_request(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)


def _from_the_future(body: str) -> dict[str, str]:
    return sign_slack_request(body, SIGNING_SECRET, timestamp=int(time.time()) + 6 * 60)


def _other_body(body: str) -> dict[str, str]:
    return sign_slack_request(body + " ", SIGNING_SECRET)


def _unsigned(body: str) -> dict[str, str]:
    return {}


def _garbage_signature(body: str) -> dict[str, str]:
    return {"X-Slack-Signature": "v0=zz", "X-Slack-Request-Timestamp": "yesterday"}


@pytest.mark.parametrize(
    "headers_for",
    [_wrong_secret, _stale, _from_the_future, _other_body, _unsigned, _garbage_signature],
    ids=["wrong-secret", "stale", "future", "other-body", "unsigned", "garbage-headers"],
)
async def test_badly_signed_event_gets_401_and_does_no_work(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, headers_for: Any
) -> None:
    fake_gitbook.script_ask([Snapshot("Rotate it under Settings."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = mention("how do I rotate a key?")
        body = _callback(event, "EvSIGNED01")
        refused = await bot.post(body, "application/json", headers=headers_for(body), signed=False)
        assert refused.status_code == 401
        # Nothing ran behind the check (auth.test may run at start-up; nothing else may).
        assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == []
        # The genuine delivery of the same event is still answered: the forged one claimed
        # nothing (no de-duplication key, no rate budget) and asked nothing.
        accepted = await bot.post(body, "application/json")
        assert accepted.status_code == 200
        await _answered_in_thread(fake_slack, event["channel"], event["ts"], "Rotate it")
    assert len(fake_gitbook.ask_requests) == 1
    assert len(fake_slack.posts()) == 1


async def test_signature_older_than_five_minutes_is_refused_even_for_url_verification(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "legacy"})
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, "application/json", headers=_stale(body), signed=False)
    assert response.status_code == 401
    assert "c-123" not in response.text


# --- malformed bodies ----------------------------------------------------------------------------

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    pytest.param("{not json", _JSON, id="broken-json"),
    pytest.param('{"event_id": "Ev1", "event": {}}', _JSON, id="json-object-without-type"),
    pytest.param('{"type": 5}', _JSON, id="type-not-a-string"),
    pytest.param("[1, 2]", _JSON, id="json-array"),
    pytest.param('"event_callback"', _JSON, id="json-string"),
    pytest.param("", _JSON, id="empty-body"),
    pytest.param("payload=" + quote("{broken"), _FORM, id="form-payload-not-json"),
    pytest.param("payload=" + quote('{"actions": []}'), _FORM, id="form-payload-without-type"),
    pytest.param("user_id=U1&text=hi", _FORM, id="form-neither-command-nor-payload"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_signed_malformed_body_gets_400(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, body: str, content_type: str
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, content_type)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert fake_gitbook.ask_requests == []


UNSIGNED_MALFORMED = [p for p in MALFORMED if p.id in ("broken-json", "form-payload-not-json")]


@pytest.mark.parametrize(("body", "content_type"), UNSIGNED_MALFORMED)
async def test_unsigned_malformed_body_gets_401(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, body: str, content_type: str
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, content_type, signed=False)
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "content_type"), UNSIGNED_MALFORMED)
@pytest.mark.parametrize("headers_for", [_wrong_secret, _stale], ids=["wrong-secret", "stale"])
async def test_badly_signed_malformed_body_gets_401(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    body: str,
    content_type: str,
    headers_for: Any,
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, content_type, headers=headers_for(body), signed=False)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"type": "event_callback", "event_id": "EvNOEVENT"}', id="no-event"),
        pytest.param(
            '{"type": "event_callback", "event_id": "EvSTR", "event": "app_mention"}',
            id="event-not-an-object",
        ),
        pytest.param(
            '{"type": "event_callback", "event_id": "EvNOCHAN", "team_id": "T0TEAM42", '
            '"event": {"type": "app_mention", "user": "U0ASKER7", "text": "<@UBOT> hi"}}',
            id="mention-without-channel-or-ts",
        ),
    ],
)
async def test_signed_event_callback_with_a_broken_event_never_fails_with_5xx(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, body: str
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, _JSON)
        # The bot keeps serving afterwards.
        event = mention("still there?")
        await bot.event(event)
        await _answered_in_thread(fake_slack, event["channel"], event["ts"], "Hello world")
    assert response.status_code < 500
    assert "Traceback" not in response.text
    assert len(fake_gitbook.ask_requests) == 1


# --- url_verification ----------------------------------------------------------------------------


async def test_url_verification_echoes_the_challenge(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2r", "token": "x"})
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.post(body, _JSON)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2r"}


# --- /healthz ------------------------------------------------------------------------------------


async def test_healthz_reports_memory_without_redis(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        status, body = await _health(bot)
    assert (status, body) == (200, {"status": "ok", "redis": "memory"})


async def test_healthz_reports_ok_with_redis(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    async with running_bot(
        fake_slack, fake_gitbook, redis_url=redis_url, key_prefix=redis_key_prefix
    ) as bot:
        status, body = await _health(bot)
    assert (status, body) == (200, {"status": "ok", "redis": "ok"})


async def test_healthz_reports_down_while_redis_is_stopped_and_ok_once_it_is_back(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    async with running_bot(fake_slack, fake_gitbook, redis_url=redis_server.url) as bot:
        before = await _health(bot)
        await redis_server.astop()
        async with asyncio.timeout(10):  # a health check must not hang on a dead Redis
            during = await _health(bot)
        await redis_server.astart()
        after = await _health(bot)
    assert before == (200, {"status": "ok", "redis": "ok"})
    assert during == (200, {"status": "ok", "redis": "down"})
    assert after == (200, {"status": "ok", "redis": "ok"})


# --- acknowledgement does not wait for the answer ------------------------------------------------


async def test_event_is_acknowledged_while_gitbook_is_still_answering(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    release = asyncio.Event()
    fake_gitbook.script_ask([WaitFor(release), Snapshot("Released answer."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = mention("what takes so long?")
        response = await bot.event(event)
        assert response.status_code == 200
        # The answer was still being worked on when Slack got its 200.
        await fake_gitbook.wait_until(lambda: fake_gitbook.ask_in_flight == 1)
        assert not release.is_set()
        release.set()
        await _answered_in_thread(fake_slack, event["channel"], event["ts"], "Released answer.")


async def test_slash_command_is_acknowledged_with_a_placeholder_while_gitbook_is_answering(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    release = asyncio.Event()
    fake_gitbook.script_ask([WaitFor(release), Snapshot("Private answer."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response, key = await bot.command("what takes so long?")
        assert response.status_code == 200
        assert "Searching the docs" in response.text
        await fake_gitbook.wait_until(lambda: fake_gitbook.ask_in_flight == 1)
        assert fake_slack.webhooks_to(key) == []
        release.set()
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert "Private answer." in visible_text(fake_slack.webhooks_to(key)[0].body)
