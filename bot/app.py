"""The app factory: an AsyncApp with every surface registered and one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.logs import bind_request_id
from bot.settings import Settings
from bot.slack.boundary import on_listener_error, request_kind
from bot.slack.guards import RETRY_NUM
from bot.slack.identity import authorize, check_token, remember_bot_user
from handlers import register_all

logger = logging.getLogger(__name__)

NOTICES_WITHOUT_LISTENER = frozenset({"app_rate_limited"})


def create_app(settings: Settings, deps: Deps) -> AsyncApp:
    """Build the Bolt app: signatures, ack and routing are Bolt's; the surfaces are ours.

    Bolt gets a client without a token, so that it authorizes each request with
    ``bot.slack.identity.authorize`` (which never waits on Slack) instead of calling `auth.test`
    before the ack; the token reaches listeners through the authorize result.
    """
    app = AsyncApp(
        client=_tokenless(deps.slack),
        authorize=partial(authorize, deps.identity),
        before_authorize=remember_bot_user,
        signing_secret=str(settings.slack_signing_secret or ""),
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=_bolt_logger(),
    )
    app.middleware(_tag_request)
    register_all(app, deps)
    app.error(partial(on_listener_error, deps.slack))
    return app


class _NotOurToken(logging.Filter):
    """Drops Bolt's "`token` will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the
    environment by itself, then warns that our (deliberately tokenless) client wins, which is
    the intent (see create_app), not a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _bolt_logger() -> logging.Logger:
    bolt_logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _NotOurToken) for f in bolt_logger.filters):
        bolt_logger.addFilter(_NotOurToken())
    return bolt_logger


def _tokenless(client: AsyncWebClient) -> AsyncWebClient:
    """A client like client (same API URL, session and retry handlers), without its token."""
    return AsyncWebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=list(client.retry_handlers),
        logger=client.logger,
    )


async def _tag_request(
    body: dict[str, Any],
    resp: BoltResponse,
    request: AsyncBoltRequest,
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[None]],
) -> BoltResponse:
    """Give the request an id every log line of its work carries (listeners copy it)."""
    context[RETRY_NUM] = _retry_num(request)  # de-duplication needs it when Redis cannot help
    rid = body.get("event_id") or body.get("trigger_id")
    bind_request_id(str(rid) if rid else None)
    kind = request_kind(body)
    logger.info("request %s", kind)
    if kind in NOTICES_WITHOUT_LISTENER:
        # Not an event for a listener (docs/slack.md §7): answer 200 so Slack keeps the app's
        # subscriptions, exactly when it is throttling us.
        logger.warning("Slack says: %s", kind)
        return BoltResponse(status=200, body="")
    await next()
    return resp


def _retry_num(request: AsyncBoltRequest) -> int:
    """Slack's X-Slack-Retry-Num (0 for a first delivery; Socket Mode sets it too)."""
    values = request.headers.get("x-slack-retry-num") or ["0"]
    return int(values[0]) if values[0].isdigit() else 0


async def verify_app_token(client: AsyncWebClient, app_token: str) -> None:
    """Check the Socket Mode token once: refused → one clear error; unreachable → go on."""
    await check_token("SLACK_APP_TOKEN", client.apps_connections_open(app_token=app_token))
