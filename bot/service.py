"""Running the bot: open every resource, serve HTTP or Socket Mode, shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any

import aiohttp
import redis.asyncio as redis
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.app import create_app, verify_app_token
from bot.deps import Deps, build_deps, make_slack_client
from bot.errors import StartupError
from bot.gitbook.client import make_http_client
from bot.insights.digest import WeeklyDigest
from bot.insights.service import Clock, utc_now
from bot.logs import OneLineFailures
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.recovery import LEASE_SECONDS
from bot.slack.web import build_web_app, server_options
from bot.store import BREAKER_COOLDOWN_SECONDS, redis_retry

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 8.0  # answers in flight get this long; the whole stop stays under 10 s
SOCKET_LOGGER = "bot.slack.socket"
# Redis is local or near: an answer costs at most this once when it hangs (then the
# store's breaker skips it for BREAKER_COOLDOWN_SECONDS).
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_POOL_WAIT_SECONDS = 2.0
REDIS_MAX_CONNECTIONS = 64


class Service:
    """The running bot: every long-lived resource opened in one exit stack."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "0.0.0.0",
        edit_interval: float = 1.0,
        key_prefix: str = "",
        shutdown_grace: float = SHUTDOWN_GRACE_SECONDS,
        clock: Clock | None = None,
        lease: float = LEASE_SECONDS,
        redis_cooldown: float = BREAKER_COOLDOWN_SECONDS,
    ) -> None:
        self.settings = settings
        self._lease = lease  # how long a killed process's replies wait to be taken over
        self._redis_cooldown = redis_cooldown
        self._clock = clock or utc_now  # when the weekly digest is due (tests inject one)
        self._host = host
        self._edit_interval = edit_interval
        self._key_prefix = key_prefix
        self._grace = shutdown_grace
        self._stack = AsyncExitStack()
        self._site: web.TCPSite | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._socket_task: asyncio.Task[None] | None = None
        self.port = 0
        self.deps: Deps

    async def __aenter__(self) -> Service:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.shutdown()
        finally:
            await self._stack.aclose()

    async def _start(self) -> None:
        settings = self.settings
        http = await self._stack.enter_async_context(make_http_client(settings.gitbook))
        session = await self._stack.enter_async_context(aiohttp.ClientSession())
        redis_client = self._redis()
        metrics = Metrics()
        self.deps = build_deps(
            settings,
            http=http,
            slack=make_slack_client(settings, session, metrics=metrics),
            redis_client=redis_client,
            edit_interval=self._edit_interval,
            key_prefix=self._key_prefix,
            clock=self._clock,
            metrics=metrics,
            lease=self._lease,
            redis_cooldown=self._redis_cooldown,
        )
        bolt = create_app(settings, self.deps)
        await self.deps.identity.verify()
        self._stack.push_async_callback(self.deps.identity.close)
        await self._serve_http(bolt)
        if settings.socket_mode:
            await self._connect_socket_mode(bolt)
        mode = "socket mode" if settings.socket_mode else "http"
        logger.info("ready: %s, port %d, store %s", mode, self.port, await self.deps.store.health())
        # Also takes over, at once, replies a killed process (this one, restarted?) left.
        self.deps.journal.start(self.deps.replies.resume)
        self._stack.push_async_callback(self.deps.journal.stop)
        if self.digest is not None:
            self.digest.start()
            self._stack.push_async_callback(self.digest.stop)

    @property
    def digest(self) -> WeeklyDigest | None:
        """The weekly digest loop, when INSIGHTS_DIGEST_CHANNEL is set."""
        return self.deps.digest

    async def _connect_socket_mode(self, bolt: AsyncApp) -> None:
        app_token = str(self.settings.slack_app_token)
        await verify_app_token(self.deps.slack, app_token)
        socket_logger = logging.getLogger(SOCKET_LOGGER)
        socket_logger.addFilter(OneLineFailures())  # one line per reconnect attempt
        self._socket = AsyncSocketModeHandler(bolt, app_token, logger=socket_logger)
        # slack-sdk reconnects by itself (every 10 s), for as long as it takes: serve /healthz
        # meanwhile, and /readyz says 503 until the socket is connected.
        self._socket_task = asyncio.create_task(
            self._socket.connect_async()  # type: ignore[no-untyped-call]
        )

    def _redis(self) -> redis.Redis | None:
        if self.settings.redis_url is None:
            return None
        # A blocking pool: under a burst, callers wait for a connection instead of failing
        # with "Too many connections" (which would split budgets between Redis and memory).
        pool = redis.BlockingConnectionPool.from_url(
            str(self.settings.redis_url),
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_POOL_WAIT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=redis_retry(),
        )
        client = redis.Redis(connection_pool=pool)
        self._stack.push_async_callback(pool.aclose)
        self._stack.push_async_callback(client.aclose)
        return client

    async def _serve_http(self, bolt: AsyncApp) -> None:
        # In Socket Mode only /healthz is served; events arrive over the socket.
        events_app = None if self.settings.socket_mode else bolt
        secret = str(self.settings.slack_signing_secret or "")
        web_app = build_web_app(
            events_app, self.deps.store, secret, metrics=self.deps.metrics, ready=self.ready
        )
        runner = web.AppRunner(web_app, access_log=None, **server_options())
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        self._site = web.TCPSite(runner, host=self._host, port=self.settings.port)
        try:
            await self._site.start()
        except OSError as exc:  # most often another process holds the port
            raise StartupError(f"cannot listen on PORT {self.settings.port}: {exc}") from exc
        self.port = int(runner.addresses[0][1])

    async def ready(self) -> bool:
        """Whether events can be served: listening, and in Socket Mode, connected."""
        if self._site is None:
            return False
        if self._socket is None:
            return not self.settings.socket_mode
        client = self._socket.client
        return client is not None and await client.is_connected()

    async def shutdown(self) -> None:
        """Stop taking events, let answers in flight finish (or close them), flush insights."""
        site, self._site = self._site, None
        if site is None:
            return
        await site.stop()
        if self.digest is not None:
            await self.digest.stop()
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._socket_task is not None:
            self._socket_task.cancel()
            await asyncio.wait({self._socket_task})
        self.deps.journal.quiesce()  # take over nothing more; keep renewing while draining
        await self.deps.replies.drain(self._grace)
        await self.deps.journal.stop()
        await self.deps.tasks.join(grace_seconds=1.0)


async def serve(settings: Settings, **options: Any) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully (options: Service's)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Service(settings, **options):
        await stop.wait()
        logger.info("stopping: no new events; finishing answers in flight")
