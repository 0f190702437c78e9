"""`python -m bot` as a real process: start-up, health, one answer, SIGTERM, logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import event_callback, mention
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, WaitFor, page_source
from tests.fakes.slack_api import FakeSlack, sign_slack_request, visible_text
from tests.support import free_port, start_bot_module

STARTUP_TIMEOUT = 20.0
BOT_TOKEN = "xoxb-1111-2222-BOTTOKENSECRETVALUE"
SIGNING_SECRET = "signing-SECRET-0a1b2c3d4e5f6789"
GITBOOK_TOKEN = "gb-SECRET-gitbook-token-abcdef9876"
ANSWER = "Install the CLI with pip, then run `docs login`."


def service_env(
    slack: FakeSlack, gitbook: FakeGitBook, port: int, **overrides: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "GITBOOK_API_TOKEN": gitbook.token,
        "GITBOOK_ORGANIZATION_ID": gitbook.org,
        "GITBOOK_SITE_ID": gitbook.site,
        "GITBOOK_API_URL": gitbook.url,
        "GITBOOK_TIMEOUT_SECONDS": "5",
        "PORT": str(port),
    }
    env.update(overrides)
    return env


class BotProcess:
    """The service in a child process, its output drained continuously (a full pipe blocks)."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.stdout = bytearray()
        self.stderr = bytearray()
        assert process.stdout is not None and process.stderr is not None
        self._readers = [
            asyncio.create_task(_drain(process.stdout, self.stdout)),
            asyncio.create_task(_drain(process.stderr, self.stderr)),
        ]

    @property
    def log(self) -> str:
        return self.stderr.decode(errors="replace")

    async def wait_exit(self, timeout: float) -> int:  # noqa: ASYNC109 - a deadline on a child
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.gather(*self._readers)
        return code

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await asyncio.gather(*self._readers)


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


@contextlib.asynccontextmanager
async def bot_process(
    env: dict[str, str], port: int, *, cwd: Path | None = None
) -> AsyncIterator[BotProcess]:
    process = await start_bot_module(env, cwd=cwd)
    bot = BotProcess(process, port)
    try:
        yield bot
    finally:
        await bot.stop()


def _fresh_client() -> httpx.AsyncClient:
    # No keep-alive: every request opens a connection, so a closed listener is seen at once.
    return httpx.AsyncClient(timeout=5, limits=httpx.Limits(max_keepalive_connections=0))


async def wait_healthy(bot: BotProcess) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    async with _fresh_client() as client:
        while True:
            if bot.process.returncode is not None:
                raise AssertionError(f"the bot exited with {bot.process.returncode}: {bot.log}")
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(f"{bot.url}/healthz")
                if response.status_code == 200:
                    return response
            if loop.time() >= deadline:
                raise AssertionError(f"/healthz not up within {STARTUP_TIMEOUT}s; log: {bot.log}")
            await asyncio.sleep(0.05)


async def wait_listener_closed(bot: BotProcess, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with _fresh_client() as client:
        while True:
            try:
                await client.get(f"{bot.url}/healthz")
            except httpx.TransportError:
                return
            if loop.time() >= deadline:
                raise AssertionError(f"still serving {timeout}s after SIGTERM; log: {bot.log}")
            await asyncio.sleep(0.02)


async def send_event(bot: BotProcess, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event_callback(event))
    headers = {"Content-Type": "application/json", **sign_slack_request(body, SIGNING_SECRET)}
    async with _fresh_client() as client:
        return await client.post(f"{bot.url}/slack/events", content=body, headers=headers)


def _site(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")


def _final_answers(slack: FakeSlack) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.messages.values()
        if ANSWER in visible_text(m) and "Sources" in visible_text(m)
    ]


@pytest.fixture
async def gitbook() -> AsyncIterator[FakeGitBook]:
    async with FakeGitBook(org="org_1", site="site_1", token=GITBOOK_TOKEN) as fake:
        yield fake


@pytest.mark.parametrize(
    "stop_signal",
    [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")],
)
async def test_serves_health_answers_a_mention_and_stops_on_signal(
    fake_slack: FakeSlack, gitbook: FakeGitBook, stop_signal: signal.Signals
) -> None:
    _site(gitbook)
    gitbook.script_ask(
        [Snapshot("Install"), Snapshot(ANSWER, sources=[page_source()]), DoneEvent()]
    )
    port = free_port()
    async with bot_process(service_env(fake_slack, gitbook, port), port) as bot:
        health = await wait_healthy(bot)
        assert health.json() == {"status": "ok", "redis": "memory"}

        event = mention("how do I install it?")
        response = await send_event(bot, event)
        assert response.status_code == 200
        await fake_slack.wait_until(lambda: len(_final_answers(fake_slack)) == 1, timeout=15)
        (reply,) = _final_answers(fake_slack)
        assert reply["thread_ts"] == event["ts"]
        assert "https://docs.example.com/getting-started" in visible_text(reply)

        bot.process.send_signal(stop_signal)
        code = await bot.wait_exit(10.0)
    assert code == 0, bot.log
    assert "Traceback" not in bot.log
    # SLACK_BOT_TOKEN is in the environment: Bolt must not warn that it goes unused.
    assert "will be unused" not in bot.log


async def test_sigterm_lets_an_answer_in_flight_finish(
    fake_slack: FakeSlack, gitbook: FakeGitBook
) -> None:
    _site(gitbook)
    gate = asyncio.Event()
    gitbook.script_ask(
        [Snapshot("Install"), WaitFor(gate), Snapshot(ANSWER, sources=[page_source()]), DoneEvent()]
    )
    port = free_port()
    async with bot_process(service_env(fake_slack, gitbook, port), port) as bot:
        await wait_healthy(bot)
        assert (await send_event(bot, mention("how do I install it?"))).status_code == 200
        await gitbook.wait_until(lambda: gitbook.ask_in_flight == 1, timeout=10)

        bot.process.send_signal(signal.SIGTERM)
        stopped_at = asyncio.get_running_loop().time()
        await wait_listener_closed(bot)  # no new events, but the answer is still being written
        gate.set()
        code = await bot.wait_exit(10.0)
        took = asyncio.get_running_loop().time() - stopped_at
    assert code == 0, bot.log
    assert took < 10.0
    assert len(_final_answers(fake_slack)) == 1, fake_slack.calls
    assert not any("Searching the docs" in visible_text(m) for m in fake_slack.messages.values())


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_logs_never_contain_secrets_even_at_debug(
    fake_slack: FakeSlack, gitbook: FakeGitBook, log_format: str
) -> None:
    _site(gitbook)
    gitbook.script_ask(
        [Snapshot("Install"), Snapshot(ANSWER, sources=[page_source()]), DoneEvent()]
    )
    port = free_port()
    env = service_env(fake_slack, gitbook, port, LOG_LEVEL="DEBUG", LOG_FORMAT=log_format)
    async with bot_process(env, port) as bot:
        await wait_healthy(bot)
        assert (await send_event(bot, mention("how do I install it?"))).status_code == 200
        await fake_slack.wait_until(lambda: len(_final_answers(fake_slack)) == 1, timeout=15)
        await gitbook.wait_until(lambda: len(gitbook.insight_events) == 1)
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(10.0) == 0, bot.log
    log = bot.log
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines()]  # every line is one object
        assert {"DEBUG", "INFO"} <= {r["level"] for r in records}  # really logged at DEBUG
        assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
        assert any(r.get("request_id") for r in records)
    else:
        assert "level=DEBUG" in log  # the run really logged at DEBUG
    for secret in (BOT_TOKEN, SIGNING_SECRET, GITBOOK_TOKEN):
        # Nothing of a secret but its last 4 characters: no 10-character window of it appears.
        leaks = {secret[i : i + 10] for i in range(len(secret) - 9)} & _windows(log)
        assert not leaks, f"log shows part of a secret: {sorted(leaks)}"


def _windows(text: str) -> set[str]:
    return {text[i : i + 10] for i in range(len(text) - 9)}


@pytest.mark.parametrize(
    ("redis", "expected"),
    [
        pytest.param("configured", "ok", id="redis-ok"),
        pytest.param("unreachable", "down", id="redis-down"),
    ],
)
async def test_health_reports_redis(
    fake_slack: FakeSlack,
    gitbook: FakeGitBook,
    request: pytest.FixtureRequest,
    redis: str,
    expected: str,
) -> None:
    url = (
        str(request.getfixturevalue("redis_url"))
        if redis == "configured"
        else f"redis://127.0.0.1:{free_port()}/0"
    )
    port = free_port()
    async with bot_process(service_env(fake_slack, gitbook, port, REDIS_URL=url), port) as bot:
        health = await wait_healthy(bot)  # a Redis outage never stops the bot from serving
        assert health.json() == {"status": "ok", "redis": expected}
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(10.0) == 0, bot.log


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("SLACK_BOT_TOKEN", None, id="missing-bot-token"),
        pytest.param("SLACK_BOT_TOKEN", "not-a-bot-token", id="malformed-bot-token"),
        pytest.param("GITBOOK_API_TOKEN", None, id="missing-gitbook-token"),
        pytest.param("PORT", "not-a-port", id="malformed-port"),
        pytest.param("REDIS_URL", "localhost:6379", id="redis-url-without-scheme"),
        pytest.param("REDIS_URL", "http://:hunter2@cache:6379/0", id="redis-url-http"),
        pytest.param("REDIS_URL", "redis://cache:port/0", id="redis-url-bad-port"),
        pytest.param("INSIGHTS_DIGEST_CHANNEL", "#docs", id="digest-channel-name"),
        pytest.param("LOG_FORMAT", "xml", id="log-format"),
    ],
)
async def test_bad_configuration_stops_start_up_with_one_line_naming_it(
    fake_slack: FakeSlack, gitbook: FakeGitBook, name: str, value: str | None
) -> None:
    port = free_port()
    env = service_env(fake_slack, gitbook, port)
    if value is None:
        del env[name]
    else:
        env[name] = value
    async with bot_process(env, port) as bot:
        code = await bot.wait_exit(STARTUP_TIMEOUT)
    assert code == 1
    log = bot.log
    assert "Traceback" not in log
    lines = log.splitlines()
    assert len(lines) == 1 and name in lines[0], log
    assert "hunter2" not in log  # a Redis URL may hold a password: never echoed
    assert fake_slack.calls == [] and gitbook.calls == []


@contextlib.contextmanager
def port_taken() -> Iterator[int]:
    """A port some other process listens on (on every interface, as the bot binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _one_error_line(bot: BotProcess, starting: str) -> None:
    """The run ended on one start-up error line (log lines before it aside), no traceback."""
    assert "Traceback" not in bot.log, bot.log
    assert bot.log.splitlines()[-1].startswith(starting), bot.log
    assert bot.stdout == b""


async def test_a_port_in_use_stops_start_up_with_one_line(
    fake_slack: FakeSlack, gitbook: FakeGitBook
) -> None:
    with port_taken() as port:
        async with bot_process(service_env(fake_slack, gitbook, port), port) as bot:
            code = await bot.wait_exit(STARTUP_TIMEOUT)
    assert code == 1
    _one_error_line(bot, f"start-up error: cannot listen on PORT {port}")


async def test_a_token_slack_refuses_stops_start_up_with_one_line(
    fake_slack: FakeSlack, gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("auth.test", "invalid_auth")
    port = free_port()
    async with bot_process(service_env(fake_slack, gitbook, port), port) as bot:
        code = await bot.wait_exit(STARTUP_TIMEOUT)
    assert code == 1
    _one_error_line(bot, "start-up error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)")


async def test_settings_come_from_dotenv_in_the_working_directory(
    fake_slack: FakeSlack, gitbook: FakeGitBook, tmp_path: Path
) -> None:
    port = free_port()
    settings = service_env(fake_slack, gitbook, port)
    lines = [f"{name}={settings[name]}" for name in settings if name not in os.environ]
    # Unquoted, with a space: /bin/sh would have run `U0123ABCD` as a command.
    lines.append("INSIGHTS_VIEWERS=S0DOCSTEAM U0123ABCD")
    lines.append("PORT=1")  # the environment wins over .env
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PORT": str(port)}
    async with bot_process(env, port, cwd=tmp_path) as bot:
        health = await wait_healthy(bot)
        assert health.json() == {"status": "ok", "redis": "memory"}
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(10.0) == 0, bot.log
