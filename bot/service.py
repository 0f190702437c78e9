"""Running the bot: open every resource, serve HTTP or Socket Mode, shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

import aiohttp
import redis.asyncio as redis
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import create_app
from bot.deps import build_deps, make_slack_client
from bot.gitbook import make_http_client
from bot.settings import Settings
from bot.web import build_web_app

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 8.0  # answers in flight get this long; the whole stop stays under 10 s
REDIS_TIMEOUT_SECONDS = 2.0


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve until stop is set (or SIGTERM/SIGINT), then finish answers in flight."""
    stop = stop or _stop_on_signals()
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(make_http_client(settings.gitbook))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        redis_client = _redis(settings)
        if redis_client is not None:
            stack.push_async_callback(redis_client.aclose)
        deps = build_deps(
            settings,
            http=http,
            slack=make_slack_client(settings, session),
            redis_client=redis_client,
        )
        bolt = create_app(settings, deps)
        secret = str(settings.slack_signing_secret or "")
        web_app = build_web_app(None if settings.socket_mode else bolt, deps.store, secret)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, host="0.0.0.0", port=settings.port)
        await site.start()
        socket = await _connect_socket_mode(settings, bolt) if settings.socket_mode else None
        logger.info("ready: %s on port %d", "socket mode" if socket else "http", settings.port)
        await stop.wait()
        logger.info("stopping: no new events; finishing answers in flight")
        await site.stop()
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        await deps.replies.drain(SHUTDOWN_GRACE_SECONDS)
        await deps.tasks.join(grace_seconds=1.0)


def _redis(settings: Settings) -> redis.Redis | None:
    if settings.redis_url is None:
        return None
    return redis.Redis.from_url(
        str(settings.redis_url),
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


async def _connect_socket_mode(settings: Settings, bolt: object) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(bolt, str(settings.slack_app_token))  # type: ignore[arg-type]
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
