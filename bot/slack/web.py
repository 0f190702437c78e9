"""The HTTP surface: `POST /slack/events` (through Bolt), `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Metrics
from bot.store import Store

EVENTS_PATH = "/slack/events"


def build_web_app(
    bolt: AsyncApp | None,
    store: Store,
    signing_secret: str | None,
    *,
    metrics: Metrics,
    ready: Callable[[], Awaitable[bool]],
) -> web.Application:
    """The aiohttp app; without bolt (Socket Mode) it serves only health, readiness, metrics."""
    app = web.Application()

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
        verifier = SignatureVerifier(signing_secret or "")
        app.router.add_post(EVENTS_PATH, _events_handler(bolt, verifier))
    return app


def _events_handler(bolt: AsyncApp, verifier: SignatureVerifier) -> Any:
    async def slack_events(request: web.Request) -> web.Response:
        body = await request.text()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.isdigit():
            return web.json_response({"error": "invalid request"}, status=401)
        if not _well_formed(body):
            # Bolt would fail to parse it; answer 401 or 400 as a signed request deserves.
            signature = request.headers.get("X-Slack-Signature", "")
            signed = verifier.is_valid(body, timestamp, signature)
            return web.json_response({"error": "malformed request"}, status=400 if signed else 401)
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return slack_events


def _well_formed(body: str) -> bool:
    """Whether body is an Events API JSON object or a command/interaction form."""
    if body.lstrip().startswith("{"):
        return _is_json_object_with_type(body)
    form = parse_qs(body)
    if "payload" in form:
        return _is_json_object_with_type(form["payload"][0])
    return "command" in form or "ssl_check" in form


def _is_json_object_with_type(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not (isinstance(data, dict) and isinstance(data.get("type"), str)):
        return False
    event = data.get("event")
    is_callback = data["type"] == "event_callback"
    return not is_callback or (isinstance(event, dict) and isinstance(event.get("type"), str))
