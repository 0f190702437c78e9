"""The app factory: an AsyncApp with every surface registered and one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.deps import Deps
from bot.errors import StartupError
from bot.logs import bind_request_id
from bot.settings import Settings
from bot.slack.boundary import on_listener_error, request_kind
from bot.slack.guards import RETRY_NUM
from handlers import register_all

logger = logging.getLogger(__name__)

NOTICES_WITHOUT_LISTENER = frozenset({"app_rate_limited"})
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


def create_app(settings: Settings, deps: Deps) -> AsyncApp:
    """Build the Bolt app: signatures, ack and routing are Bolt's; the surfaces are ours."""
    app = AsyncApp(
        client=deps.slack,
        signing_secret=str(settings.slack_signing_secret or ""),
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=logging.getLogger("slack_bolt"),
    )
    app.middleware(_tag_request)
    register_all(app, deps)
    app.error(on_listener_error)
    return app


async def verify_bot_token(app: AsyncApp, client: AsyncWebClient) -> None:
    """Check the token once at start-up: refused → one clear error; unreachable → warn, go on.

    The result is handed to Bolt's authorization, so a burst of first events does not
    make one auth.test call each.
    """
    result = await _check_token("SLACK_BOT_TOKEN", client.auth_test())
    if result is None:
        return  # Bolt calls auth.test itself on the first event
    for middleware in app._async_middleware_list:
        if isinstance(middleware, AsyncSingleTeamAuthorization):
            middleware.auth_test_result = result
    logger.info("bot user %s in team %s", result.get("user_id"), result.get("team_id"))


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
    await _check_token("SLACK_APP_TOKEN", client.apps_connections_open(app_token=app_token))


async def _check_token(
    variable: str, call: Awaitable[AsyncSlackResponse]
) -> AsyncSlackResponse | None:
    """Await a start-up call: a refused token stops start-up; any other failure is a warning."""
    try:
        return await call
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in TOKEN_ERRORS:
            raise StartupError(f"{variable} was refused by Slack ({error})") from exc
        logger.warning("start-up check of %s failed (%s); carrying on", variable, error)
    except (SlackClientError, aiohttp.ClientError, OSError) as exc:
        logger.warning("Slack unreachable at start-up (%s); carrying on", exc)
    return None
