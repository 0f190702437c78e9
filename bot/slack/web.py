"""The HTTP surface: `POST /slack/events` (through Bolt), `/healthz`, `/readyz`, `/metrics`.

The edge checks what costs nothing first, and parses last: signature headers and timestamp
(401), declared size (413), the body read within a bound and a deadline, the HMAC over the
raw bytes (401), and only then decoding and parsing (400). Bolt then verifies, acks and
routes the request as usual; it only ever sees signed, well-formed bodies. (A little over
the ~250-line guide: the edge's checks read best in order, in one module.)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Metrics
from bot.store import Store

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's payloads are a few KB; a block_actions payload carries the whole message, which
# our largest answer keeps under ~100 KB even fully escaped. Anything bigger is not Slack.
MAX_BODY_BYTES = 256 * 1024
# A client gets this long from connecting (or from its previous response on a kept-alive
# connection) to send its whole request, headers and body (contract, "HTTP surface").
REQUEST_TIMEOUT_SECONDS = 10.0
SIGNATURE_MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: older or newer timestamps are replays
_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _ClientGarbage(logging.Filter):
    """Log a client's malformed HTTP at INFO without a traceback: it is not the bot's error.

    aiohttp logs every request it cannot parse (a bad Content-Length, a bad chunk size) with
    ``logger.exception``; an ERROR with a traceback per garbage request would bury real ones.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.msg = f"{record.msg} (%s)"
            # The first line only: the rest quotes the client's raw bytes.
            first_line = str(error.message).strip().partition("\n")[0]
            record.args = (*(record.args or ()), first_line)
            record.exc_info, record.exc_text = None, None
        return True


def _server_logger() -> logging.Logger:
    server_logger = logging.getLogger(f"{__name__}.server")
    if not any(isinstance(f, _ClientGarbage) for f in server_logger.filters):
        server_logger.addFilter(_ClientGarbage())
    return server_logger


def server_options() -> dict[str, Any]:
    """Options for the aiohttp server (web.AppRunner) that the edge's guarantees rely on."""
    return {
        "logger": _server_logger(),
        # aiohttp closes a connection still waiting for its request (headers incomplete)
        # once this much has passed since it connected or since its previous response.
        "keepalive_timeout": REQUEST_TIMEOUT_SECONDS,
        # A refused request's unread body is not drained: the connection is closed at once.
        "lingering_time": 0,
        # Slack never compresses; decompressing would let a small body expand without bound.
        "auto_decompress": False,
    }


def build_web_app(
    bolt: AsyncApp | None,
    store: Store,
    signing_secret: str | None,
    *,
    metrics: Metrics,
    ready: Callable[[], Awaitable[bool]],
) -> web.Application:
    """The aiohttp app; without bolt (Socket Mode) it serves only health, readiness, metrics."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "redis": await store.health()})

    async def readyz(request: web.Request) -> web.Response:
        is_ready = await ready()
        body = {"status": "ok", "redis": await store.health(), "ready": is_ready}
        return web.json_response(body, status=200 if is_ready else 503)

    async def metrics_text(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_text)
    if bolt is not None:
        app.router.add_post(EVENTS_PATH, _events_handler(bolt, (signing_secret or "").encode()))
    return app


class _Refused(Exception):
    """A request the edge answers itself, with status and a short reason."""

    def __init__(self, status: int, reason: str, *, signature_problem: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.signature_problem = signature_problem


def _events_handler(bolt: AsyncApp, secret: bytes) -> Handler:
    async def slack_events(request: web.Request) -> web.StreamResponse:
        try:
            text = await _signed_text(request, secret)
        except _Refused as refused:
            # Unsigned garbage at DEBUG, so that a flood is not a flood of log lines; a wrong
            # or stale signature at INFO, as it is also what a bad secret or clock looks like.
            level = logging.INFO if refused.signature_problem else logging.DEBUG
            logger.log(level, "refused %s: %s", EVENTS_PATH, refused.reason)
            return _refusal(refused)
        bolt_request = _bolt_request(text, request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return slack_events


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest:
    """Hand a signed, well-formed body to Bolt, which verifies and routes it again."""
    bolt_request = AsyncBoltRequest(
        body=text, query=request.query_string, headers=dict(request.headers)
    )
    if not bolt_request.body:
        # Bolt reads any form containing the word "payload" (say, `/docs what is a payload?`)
        # as an interaction and, finding no payload field, as empty: the question would be
        # lost. _well_formed proved it a form, so give Bolt the fields it holds.
        bolt_request.body = dict(parse_qsl(text, keep_blank_values=True))
        bolt_request.context = build_async_context(AsyncBoltContext({}), bolt_request.body)
    return bolt_request


def _refusal(refused: _Refused) -> web.Response:
    response = web.json_response({"error": refused.reason}, status=refused.status)
    if refused.status != 400:
        response.force_close()  # the body may be unread: the connection cannot be reused
    return response


async def _signed_text(request: web.Request, secret: bytes) -> str:
    """Return the body as text once it is proven to be Slack's and well-formed; else refuse."""
    timestamp, signature = _signature_headers(request)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _Refused(413, "body too large")
    body = await _read_body(request)
    if not hmac.compare_digest(_signature(secret, timestamp, body), signature):
        raise _Refused(401, "invalid signature", signature_problem=True)
    return _well_formed_text(body, request)


def _signature_headers(request: web.Request) -> tuple[bytes, bytes]:
    """The timestamp and signature, checked for shape and age before any byte is read."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
        raise _Refused(401, "missing or malformed signature headers")
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        raise _Refused(401, "stale signature timestamp", signature_problem=True)
    return timestamp.encode(), signature.encode()


def _signature(secret: bytes, timestamp: bytes, body: bytes) -> bytes:
    """Slack's v0 signature over the raw bytes (slack_sdk's verifier wants valid UTF-8)."""
    digest = hmac.new(secret, b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()
    return b"v0=" + digest.encode()


async def _read_body(request: web.Request) -> bytes:
    """Read at most MAX_BODY_BYTES, before the connection's request deadline."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout_at(_request_deadline(request)):
            while chunk := await request.content.readany():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _Refused(413, "body too large")
                chunks.append(chunk)
    except TimeoutError:
        _disconnect(request)
        raise _Refused(408, "request not complete in time") from None
    except web.RequestPayloadError:
        raise _Refused(400, "broken request body") from None
    return b"".join(chunks)


def _request_deadline(request: web.Request) -> float:
    """When the request must be complete: the keep-alive close time aiohttp set for it.

    aiohttp schedules it when the connection is made (and after each response), and closes
    a connection whose headers are still incomplete then; the body is held to the same
    instant. If that private attribute ever goes, the body gets the whole timeout.
    """
    loop_now = asyncio.get_running_loop().time()
    close_time = getattr(request.protocol, "_next_keepalive_close_time", None)
    if isinstance(close_time, float) and close_time > 0:
        return min(close_time, loop_now + REQUEST_TIMEOUT_SECONDS)
    return loop_now + REQUEST_TIMEOUT_SECONDS


def _disconnect(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def _well_formed_text(body: bytes, request: web.Request) -> str:
    """Decode and check the body as Bolt will parse it; refuse anything else with 400."""
    charset = (request.charset or "utf-8").lower()
    if charset not in _UTF8:
        raise _Refused(400, "unsupported charset")  # Slack always sends UTF-8
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "body is not UTF-8") from None
    if not _well_formed(text, request.content_type):
        raise _Refused(400, "malformed request")
    return text


def _well_formed(body: str, content_type: str = "") -> bool:
    """Whether Bolt can parse body (it picks JSON by content type or a leading brace)."""
    if content_type == "application/json" or body.startswith("{"):
        return _is_json_object_with_type(body)
    form = parse_qs(body)
    if "payload" in form:
        return _is_json_object_with_type(form["payload"][0])
    return "command" in form or "ssl_check" in form


def _is_json_object_with_type(text: str) -> bool:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return False
    if not (isinstance(data, dict) and isinstance(data.get("type"), str)):
        return False
    event = data.get("event")
    is_callback = data["type"] == "event_callback"
    return not is_callback or (isinstance(event, dict) and isinstance(event.get("type"), str))
