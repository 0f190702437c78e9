"""Drive the real app the way Slack does: served over HTTP, sent signed events, watched."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bench.config import BenchConfig
from bench.fakes import Fakes
from bench.probes import Observer, Probe
from bot.service import Service
from bot.settings import Settings
from tests.e2e.harness import SIGNING_SECRET, bot_env, event_callback, mention
from tests.fakes.slack_api import sign_slack_request

SHUTDOWN_GRACE_S = 3.0  # answers still in flight at the end get this long
GITBOOK_TIMEOUT_S = "15"
POLL_S = 0.02
_event_ids = itertools.count(1)


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API event_callback around event, as Slack sends it."""
    return event_callback(event, event_id=f"EvB{next(_event_ids):08d}")


class EventSender:
    """Posts events to the bot signed like Slack (lives on the outside loop)."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self._session = session
        self._url = f"http://127.0.0.1:{port}/slack/events"

    async def event(self, event: dict[str, Any]) -> int:
        """Deliver one event; return the HTTP status of the acknowledgement."""
        body = json.dumps(envelope(event))
        headers = {"Content-Type": "application/json", **sign_slack_request(body, SIGNING_SECRET)}
        async with self._session.post(self._url, data=body, headers=headers) as response:
            await response.read()
            return response.status


@asynccontextmanager
async def event_sender(port: int) -> AsyncIterator[EventSender]:
    """A sender with as many connections as the load needs, so no event waits for one."""
    # aiohttp rather than httpx here: httpx's pool does O(open connections) work per request.
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=10.0)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield EventSender(session, port)


@asynccontextmanager
async def served_bot(fakes: Fakes, config: BenchConfig) -> AsyncIterator[Service]:
    """Serve the real app against the fakes (its own store, prefixed keys if Redis is used)."""
    env = bot_env(fakes.slack, fakes.gitbook, GITBOOK_TIMEOUT_SECONDS=GITBOOK_TIMEOUT_S)
    env.update(config.bot_env)
    if config.redis_url:
        env["REDIS_URL"] = config.redis_url
    service = Service(
        Settings.from_env(env),
        host="127.0.0.1",
        edit_interval=config.edit_interval_s,
        key_prefix=f"bench:{uuid.uuid4().hex[:12]}:",
        shutdown_grace=SHUTDOWN_GRACE_S,
    )
    async with service:
        yield service


async def sleep_until(moment: float) -> None:
    """Sleep until time.monotonic() reaches moment."""
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def send_question(sender: EventSender, probe: Probe) -> None:
    """Mention the bot with the probe's question in its channel; time the acknowledgement.

    A failed delivery leaves ack_status 0 (counted in the report), never stops the run.
    """
    event = mention(probe.question, channel=probe.channel, user=probe.user, ts=probe.ts or None)
    probe.t_event = time.monotonic()
    try:
        probe.ack_status = await sender.event(event)
    except (aiohttp.ClientError, TimeoutError):
        return
    probe.t_ack = time.monotonic()


async def staggered(
    probes: list[Probe], spacing_s: float, start: Callable[[Probe], Awaitable[None]]
) -> None:
    """Start probe i at i * spacing_s from now; return once every start has returned."""
    origin = time.monotonic()

    async def at_its_time(index: int, probe: Probe) -> None:
        await sleep_until(origin + index * spacing_s)
        await start(probe)

    async with asyncio.TaskGroup() as group:
        for index, probe in enumerate(probes):
            group.create_task(at_its_time(index, probe))


async def wait_answered(observer: Observer, timeout_s: float) -> None:
    """Poll until every observed question shows its final answer, or timeout_s passes."""
    end = time.monotonic() + timeout_s
    observer.update()
    while observer.pending and time.monotonic() < end:
        await asyncio.sleep(POLL_S)
        observer.update()


async def ask_together(
    observer: Observer, port: int, probes: list[Probe], spacing_s: float, timeout_s: float
) -> None:
    """Send probe i at i * spacing_s, then wait (at most timeout_s) for every final answer."""
    async with event_sender(port) as sender:
        await staggered(probes, spacing_s, lambda probe: send_question(sender, probe))
        await wait_answered(observer, timeout_s)


async def ask_one_by_one(
    observer_of: Callable[[Probe], Observer], port: int, probes: list[Probe], timeout_s: float
) -> None:
    """Send each probe once the previous one was answered (or timeout_s passed)."""
    async with event_sender(port) as sender:
        for probe in probes:
            await send_question(sender, probe)
            await wait_answered(observer_of(probe), timeout_s)
