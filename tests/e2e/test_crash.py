"""Crashes and Redis trouble (issue 14, "No answer lost"), with real processes and real Redis.

Each bot here is a real child process (``python -m tests.e2e.crash_bot``: the service with
short reply leases), each Redis a private ``redis-server`` this test alone may kill, stop or
reconfigure. Slack and GitBook are the protocol fakes. Tests wait on conditions with
deadlines and never assert how long something took.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis.asyncio as redis

from tests.e2e.harness import TEAM, direct_message, event_callback, mention, next_ts
from tests.e2e.test_process import (
    SIGNING_SECRET,
    STARTUP_TIMEOUT,
    BotProcess,
    service_env,
    wait_healthy,
)
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, WaitFor
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_api import FakeSlack, sign_slack_request, visible_text
from tests.support import REPO_ROOT

LEASE_SECONDS = "0.6"  # the service's default is 15 s; the hand-over logic is the same
PARTIAL = "To rotate a key, open the settings page"
FULL = "To rotate a key, open **Settings → API keys** and click *Rotate*."
FULL_SHOWN = "Settings → API keys"
WORKING = ("Searching the docs", "Writing…")


@pytest.fixture
async def gitbook() -> AsyncIterator[FakeGitBook]:
    async with FakeGitBook(org="org_1", site="site_1", token="gb-SECRET-token-1234") as fake:
        yield fake


@contextlib.asynccontextmanager
async def crash_bot(env: dict[str, str], grace: str = "") -> AsyncIterator[BotProcess]:
    """The service in a child process on a port of its choosing (PORT=0: no race for a free
    port on a shared machine), healthy; killed at the end if still running."""
    args = [LEASE_SECONDS, *([grace] if grace else [])]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.crash_bot",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(process, 0)
    try:
        bot.url = f"http://127.0.0.1:{await listening_port(bot)}"
        await wait_healthy(bot)
        yield bot
    finally:
        await bot.stop()


async def listening_port(bot: BotProcess) -> int:
    """The port the service says it serves on (its "ready" log line)."""
    ready = re.compile(r"ready: [a-z ]+, port (\d+)")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    while (found := ready.search(bot.log)) is None:
        if bot.process.returncode is not None or loop.time() >= deadline:
            raise AssertionError(f"the bot did not start: {bot.log}")
        await asyncio.sleep(0.02)
    return int(found.group(1))


async def post_event(
    bot: BotProcess, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
) -> httpx.Response:
    body = json.dumps(event_callback(event, event_id=event_id))
    headers = {"Content-Type": "application/json", **sign_slack_request(body, SIGNING_SECRET)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.post(f"{bot.url}/slack/events", content=body, headers=headers)


async def post_command(bot: BotProcess, slack: FakeSlack, key: str) -> httpx.Response:
    """`/docs how do I rotate a key?`, answered through slack.response_url(key)."""
    form = {
        "command": "/docs",
        "text": "how do I rotate a key?",
        "user_id": "U0ASKER7",
        "channel_id": "C0CHAN9",
        "team_id": TEAM,
        "trigger_id": "tr1",
        "response_url": slack.response_url(key),
        "api_app_id": "A1",
    }
    body = urlencode(form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign_slack_request(body, SIGNING_SECRET),
    }
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.post(f"{bot.url}/slack/events", content=body, headers=headers)


async def insights_sent(gitbook: FakeGitBook) -> None:
    await gitbook.wait_until(lambda: bool(gitbook.insight_events), timeout=10)


async def journal_empty(client: redis.Redis) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while await client.zcard("docsbot:replies:due"):
        assert loop.time() < deadline, "the finished reply stayed in the journal"
        await asyncio.sleep(0.02)


async def health(bot: BotProcess) -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return str((await client.get(f"{bot.url}/healthz")).json()["redis"])


def thread(slack: FakeSlack, event: dict[str, Any]) -> list[dict[str, Any]]:
    return slack.thread(event["channel"], event["ts"])


def working(message: dict[str, Any]) -> bool:
    text = visible_text(message)
    return any(w in text for w in WORKING) or bool(message.get("streaming"))


def finished_with(slack: FakeSlack, event: dict[str, Any], text: str) -> bool:
    replies = thread(slack, event)
    return any(text in visible_text(m) for m in replies) and not any(map(working, replies))


def asks_for(gitbook: FakeGitBook, question: str) -> int:
    return sum(1 for r in gitbook.ask_requests if r.question == question)


def env_for(slack: FakeSlack, gitbook: FakeGitBook, server: RedisServer) -> dict[str, str]:
    return service_env(slack, gitbook, 0, REDIS_URL=server.url, GITBOOK_TIMEOUT_SECONDS="30")


@contextlib.asynccontextmanager
async def admin(server: RedisServer) -> AsyncIterator[redis.Redis]:
    """A connection of the test's own to its private server (for CONFIG SET and the like)."""
    client = redis.Redis.from_url(server.url)
    try:
        yield client
    finally:
        await client.aclose()


# --- a killed process ----------------------------------------------------------------------


async def test_reply_of_a_killed_process_is_finished_in_place_after_a_restart(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    gitbook.script_ask([Snapshot(FULL), DoneEvent()])
    env = env_for(fake_slack, gitbook, redis_server)
    event = mention("how do I rotate a key?")
    async with crash_bot(env) as first:
        assert (await post_event(first, event)).status_code == 200
        await fake_slack.wait_until(
            lambda: any(PARTIAL in visible_text(m) for m in thread(fake_slack, event)), timeout=10
        )
        (frozen,) = thread(fake_slack, event)
        await insights_sent(gitbook)  # a kill mid-request would look like a fake's fault
        first.process.kill()  # SIGKILL: no shutdown, no notice
        await first.process.wait()
    async with crash_bot(env), admin(redis_server) as redis_admin:  # restarted, same Redis
        await fake_slack.wait_until(
            lambda: finished_with(fake_slack, event, FULL_SHOWN), timeout=20
        )
        await journal_empty(redis_admin)  # finished, so nobody will take it over again
    (reply,) = thread(fake_slack, event)
    assert reply["ts"] == frozen["ts"]  # edited in place, not a second reply
    assert len(gitbook.ask_requests) == 2


async def test_a_native_stream_of_a_killed_process_is_replaced_by_the_full_answer(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    gitbook.script_ask([Snapshot(FULL), DoneEvent()])
    env = env_for(fake_slack, gitbook, redis_server)
    question_ts = next_ts()
    event = direct_message("how do I rotate a key?", thread_ts=question_ts)  # streams natively
    in_thread = {"channel": event["channel"], "ts": question_ts}
    async with crash_bot(env) as first:
        await post_event(first, event)
        await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.startStream")))
        await insights_sent(gitbook)  # a kill mid-request would look like a fake's fault
        first.process.kill()
        await first.process.wait()
    async with crash_bot(env):
        # Slack will not edit a stream still open: the answer is posted anew, the stream removed.
        await fake_slack.wait_until(
            lambda: finished_with(fake_slack, in_thread, FULL_SHOWN), timeout=20
        )
    assert len(thread(fake_slack, in_thread)) == 1


async def test_a_private_answer_of_a_killed_process_is_sent_after_a_restart(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    gitbook.script_ask([Snapshot(FULL), DoneEvent()])
    env = env_for(fake_slack, gitbook, redis_server)
    async with crash_bot(env) as first:
        assert (await post_command(first, fake_slack, "cmd-killed")).status_code == 200
        await gitbook.wait_until(lambda: gitbook.ask_in_flight == 1, timeout=10)
        await insights_sent(gitbook)  # a kill mid-request would look like a fake's fault
        first.process.kill()
        await first.process.wait()
    async with crash_bot(env):
        await fake_slack.wait_until(lambda: bool(fake_slack.webhooks_to("cmd-killed")), timeout=20)
    (sent,) = fake_slack.webhooks_to("cmd-killed")
    assert FULL_SHOWN in visible_text(sent.body)
    assert sent.body.get("response_type") == "ephemeral"


async def test_a_peer_takes_over_the_reply_of_a_killed_process_once(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    gitbook.script_ask([Snapshot(FULL), DoneEvent()])
    event = mention("how do I rotate a key?")
    async with (
        crash_bot(env_for(fake_slack, gitbook, redis_server)) as doomed,
        crash_bot(env_for(fake_slack, gitbook, redis_server)) as peer,
    ):
        await post_event(doomed, event, event_id="EvCRASH1")
        await fake_slack.wait_until(
            lambda: any(PARTIAL in visible_text(m) for m in thread(fake_slack, event)), timeout=10
        )
        await insights_sent(gitbook)  # a kill mid-request would look like a fake's fault
        doomed.process.kill()
        await doomed.process.wait()
        # Slack's retry reaches the peer: still a duplicate; the journal is what finishes it.
        await post_event(peer, event, event_id="EvCRASH1", retry=1)
        await fake_slack.wait_until(
            lambda: finished_with(fake_slack, event, FULL_SHOWN), timeout=20
        )
    assert len(thread(fake_slack, event)) == 1
    assert len(gitbook.ask_requests) == 2  # the killed one's and the peer's, no third
    assert "taking over reply" in peer.log


# --- SIGTERM -------------------------------------------------------------------------------


async def test_sigterm_closes_a_private_answer_in_flight_with_its_partial_text(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot(PARTIAL), WaitFor(asyncio.Event()), DoneEvent()])
    async with crash_bot(env_for(fake_slack, gitbook, redis_server), "1.0") as bot:
        key = "cmd-sigterm"
        response = await post_command(bot, fake_slack, key)
        assert response.status_code == 200
        await gitbook.wait_until(lambda: gitbook.ask_in_flight == 1, timeout=10)
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(10.0) == 0, bot.log
    (sent,) = fake_slack.webhooks_to(key)
    text = visible_text(sent.body)
    assert PARTIAL in text and "restarted" in text


async def test_sigterm_right_after_acks_with_a_stalled_redis_still_answers_each(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    questions = [f"question number {n}?" for n in range(3)]
    for n, question in enumerate(questions):
        gitbook.script_ask([Snapshot(f"Answer {n}."), DoneEvent()], question=question)
    events = [mention(q) for q in questions]
    async with (
        crash_bot(env_for(fake_slack, gitbook, redis_server)) as bot,
        admin(redis_server) as redis_admin,
    ):
        await redis_admin.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        for event in events:
            assert (await post_event(bot, event)).status_code == 200
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(10.0) == 0, bot.log
    for n, event in enumerate(events):
        assert finished_with(fake_slack, event, f"Answer {n}."), fake_slack.calls


# --- Redis trouble -------------------------------------------------------------------------


async def test_a_hung_redis_costs_a_question_one_short_timeout(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    gitbook.script_ask([Snapshot("Partly."), Snapshot("Answered past a hung Redis."), DoneEvent()])
    async with crash_bot(env_for(fake_slack, gitbook, redis_server)) as bot:
        event = mention("does a hang hurt?")
        redis_server.pause()  # SIGSTOP: connections stay open, nothing answers
        try:
            assert (await post_event(bot, event)).status_code == 200
            # On main every store call waited out its own timeout: 23 s for this answer.
            await fake_slack.wait_until(
                lambda: finished_with(fake_slack, event, "past a hung Redis"), timeout=6
            )
        finally:
            redis_server.resume()


async def test_event_claimed_while_redis_was_down_is_not_answered_again_after(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    question = "how do I reset my password?"
    gitbook.script_ask([Snapshot("Use the reset link."), DoneEvent()], question=question)
    event = mention(question)
    async with crash_bot(env_for(fake_slack, gitbook, redis_server)) as first:
        await redis_server.astop()
        await post_event(first, event, event_id="EvDOWN1")
        await fake_slack.wait_until(lambda: finished_with(fake_slack, event, "reset link"))
        await redis_server.astart()  # back, empty
        assert await health(first) == "ok"  # a health check (or any call) ends the outage
        await post_event(first, event, event_id="EvDOWN1", retry=1)
        env = env_for(fake_slack, gitbook, redis_server)
        async with crash_bot(env) as second:
            await post_event(second, event, event_id="EvDOWN1", retry=2)
            sentinel_question = "what is the sentinel answer?"
            gitbook.script_ask([Snapshot("Sentinel."), DoneEvent()], question=sentinel_question)
            sentinel = mention(sentinel_question)
            await post_event(second, sentinel)
            await fake_slack.wait_until(lambda: finished_with(fake_slack, sentinel, "Sentinel."))
    assert asks_for(gitbook, question) == 1
    assert len(thread(fake_slack, event)) == 1


async def _refused_writes_answer_once(
    slack: FakeSlack, gitbook: FakeGitBook, server: RedisServer, refuse: Any
) -> None:
    """Two processes on a Redis that starts refusing writes: one event, one reply, degraded."""
    question = "can I export my data?"
    gitbook.script_ask([Snapshot("Yes, as JSON."), DoneEvent()], question=question)
    event = mention(question)
    async with (
        crash_bot(env_for(slack, gitbook, server)) as first,
        crash_bot(env_for(slack, gitbook, server)) as second,
        admin(server) as redis_admin,
    ):
        await refuse(redis_admin)
        await post_event(first, event, event_id="EvREFUSED1")
        await slack.wait_until(lambda: finished_with(slack, event, "as JSON"))
        await post_event(second, event, event_id="EvREFUSED1", retry=1)
        await post_event(first, event, event_id="EvREFUSED1", retry=2)
        assert [await health(first), await health(second)] == ["degraded", "degraded"]
        # The cache is read where it was written: the same question again needs no Ask.
        again = mention(question)
        await post_event(first, again)
        await slack.wait_until(lambda: finished_with(slack, again, "as JSON"))
    assert len(thread(slack, event)) == 1
    assert asks_for(gitbook, question) == 1


async def test_a_full_redis_never_answers_one_event_twice_and_reports_degraded(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    async def fill(client: redis.Redis) -> None:
        await client.config_set("maxmemory-policy", "noeviction")
        await client.config_set("maxmemory", "1")  # every write is now refused (OOM)

    await _refused_writes_answer_once(fake_slack, gitbook, redis_server, fill)


async def test_a_password_turned_on_never_answers_one_event_twice(
    fake_slack: FakeSlack, gitbook: FakeGitBook, redis_server: RedisServer
) -> None:
    async def lock(client: redis.Redis) -> None:
        await client.config_set("requirepass", "now-required-0000")
        # Connections made before keep their login; the bots' new ones get NOAUTH.
        await client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")

    await _refused_writes_answer_once(fake_slack, gitbook, redis_server, lock)
