"""The HTTP surface under attack and under load: signatures, malformed bodies, health, fast acks.

Issue 4, point 3 (signatures) and the contract's "HTTP surface" section, driven over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
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


# --- a hardened edge (issue 14): bounded, parse-last, deadline-bound --------------------------

_GENEROUS = 30.0  # far beyond the 10 s request deadline: a deadline on the test, not a timing


def _sign_bytes(body: bytes, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature over raw bytes (slack_sdk's signer only takes valid UTF-8)."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Signature": "v0=" + digest.hexdigest(), "X-Slack-Request-Timestamp": ts}


def _request_head(length: int, headers: dict[str, str], content_type: str = _JSON) -> bytes:
    lines = [
        "POST /slack/events HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _RawClient:
    """One raw TCP connection to the bot, for requests no HTTP client would send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, bot: RunningBot) -> _RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", bot.service.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def status(self) -> int:
        """The status of the response, waiting at most _GENEROUS seconds for it."""
        async with asyncio.timeout(_GENEROUS):
            line = await self.reader.readline()
        return int(line.split()[1])

    async def closed_by_server(self) -> bool:
        """Whether the server closes the connection (read to EOF) within _GENEROUS seconds."""
        try:
            async with asyncio.timeout(_GENEROUS):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def _raw_clients(bot: RunningBot, count: int) -> AsyncIterator[list[_RawClient]]:
    clients = [await _RawClient.connect(bot) for _ in range(count)]
    try:
        yield clients
    finally:
        await asyncio.gather(*(c.close() for c in clients))


def _fresh_signature_headers() -> dict[str, str]:
    """Headers that look signed (fresh timestamp, right shape) but sign nothing."""
    return {
        "X-Slack-Signature": "v0=" + "0" * 64,
        "X-Slack-Request-Timestamp": str(int(time.time())),
    }


@pytest.mark.parametrize(
    ("headers", "length", "status"),
    [
        pytest.param({}, 1_000_000, 401, id="unsigned-1mb"),
        pytest.param(_fresh_signature_headers(), 1_000_000, 413, id="signed-looking-1mb"),
        pytest.param(_fresh_signature_headers(), 300 * 1024, 413, id="over-the-limit"),
    ],
)
async def test_a_request_is_refused_before_its_body_is_sent_when_headers_suffice(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    headers: dict[str, str],
    length: int,
    status: int,
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot, _raw_clients(bot, 1) as (client,):
        # Headers only: a server that reads (or parses) the body first never answers.
        await client.send(_request_head(length, headers))
        assert await client.status() == status
        assert await client.closed_by_server()
    assert fake_gitbook.ask_requests == []


async def test_flood_of_unsigned_megabyte_bodies_still_lets_a_signed_mention_through(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("Still answering."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot, _raw_clients(bot, 300) as flood:
        # Every flood request has sent its headers and a first slice of its 1 MB body...
        for client in flood:
            await client.send(_request_head(1_000_000, {}) + b"{" + b"x" * 65_535)
        statuses = await asyncio.gather(*(client.status() for client in flood))
        # ...and is refused without the rest: the bot neither waited for nor parsed it.
        assert set(statuses) == {401}
        event = mention("still there under a flood?")
        response = await bot.event(event)
        assert response.status_code == 200
        await _answered_in_thread(fake_slack, event["channel"], event["ts"], "Still answering.")
    assert len(fake_gitbook.ask_requests) == 1


async def test_slow_clients_are_disconnected_and_never_block_a_real_mention(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("Answered meanwhile."), DoneEvent()])
    async with (
        running_bot(fake_slack, fake_gitbook) as bot,
        _raw_clients(bot, 40) as slow_headers,
        _raw_clients(bot, 40) as slow_bodies,
    ):
        for client in slow_headers:  # slowloris: headers begun, never finished
            await client.send(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        for client in slow_bodies:  # headers complete, half the body, then silence
            await client.send(_request_head(100, _fresh_signature_headers()) + b'{"type": ')
        event = mention("anyone home?")
        assert (await bot.event(event)).status_code == 200
        await _answered_in_thread(fake_slack, event["channel"], event["ts"], "Answered meanwhile.")
        closed = await asyncio.gather(*(c.closed_by_server() for c in slow_headers + slow_bodies))
    assert all(closed), f"{closed.count(False)} slow connections still open"


_DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
_DEEP_OBJECT = b'{"type": "event_callback", "event": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_001
GARBAGE = [
    pytest.param(b'{"type": "url_verification", "challenge": "\xff\xfe"}', _JSON, id="bad-utf8"),
    pytest.param(
        b'{"type": "url_verification", "challenge": "c"}',
        "application/json; charset=bogus",
        id="bogus-charset",
    ),
    pytest.param(
        '{"type": "url_verification", "challenge": "c"}'.encode("utf-16"),
        "application/json; charset=utf-16",
        id="utf-16",
    ),
    pytest.param(_DEEP_JSON, _JSON, id="100k-deep-json"),
    pytest.param(_DEEP_OBJECT, _JSON, id="deep-object"),
    pytest.param(
        b"payload=" + quote("[" * 20_000 + "]" * 20_000).encode(), _FORM, id="deep-form-payload"
    ),
    pytest.param(b"command=%2Fdocs&text=\xc3\x28", _FORM, id="bad-utf8-form"),
]


@pytest.mark.parametrize(("body", "content_type"), GARBAGE)
async def test_signed_garbage_gets_400_without_an_error_log(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        headers = {"Content-Type": content_type, **_sign_bytes(body)}
        signed = await bot.client.post(f"{bot.url}/slack/events", content=body, headers=headers)
        unsigned = await bot.client.post(
            f"{bot.url}/slack/events", content=body, headers={"Content-Type": content_type}
        )
    assert (signed.status_code, unsigned.status_code) == (400, 401)
    assert "Traceback" not in signed.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fake_gitbook.ask_requests == []


async def test_signed_body_over_the_limit_sent_chunked_gets_413(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    body = b'{"type": "event_callback", "pad": "' + b"x" * (300 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    async with running_bot(fake_slack, fake_gitbook) as bot:
        headers = {"Content-Type": _JSON, **_sign_bytes(body)}  # no Content-Length: chunked
        response = await bot.client.post(
            f"{bot.url}/slack/events", content=chunks(), headers=headers
        )
    assert response.status_code == 413


async def test_a_slash_command_mentioning_payload_is_answered(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    # Bolt alone parses any form containing "payload" as an empty interaction.
    fake_gitbook.script_ask([Snapshot("A payload is the body."), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response, key = await bot.command("what is a payload?")
        assert response.status_code == 200
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert "A payload is the body." in visible_text(fake_slack.webhooks_to(key)[0].body)
    assert fake_gitbook.ask_requests[0].question == "what is a payload?"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"Content-Length: abc\r\n\r\n", id="bad-content-length"),
        pytest.param(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", id="both-lengths"),
        pytest.param(b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", id="bad-chunk-size"),
    ],
)
async def test_malformed_http_gets_400_without_an_error_log(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot, _raw_clients(bot, 1) as (client,):
        await client.send(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + raw)
        assert await client.status() == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
