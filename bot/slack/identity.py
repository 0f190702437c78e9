"""Who the bot is in its workspace (`auth.test`), learnt once, and Bolt's `authorize` from it.

Bolt's single-workspace authorization calls `auth.test` on the first event if it has no answer
yet, before the ack: with Slack unreachable at start-up, the first mention became an HTTP 500.
Here start-up asks once (a refused token stops start-up), a failure is retried in the
background with back-off (one log line per attempt), and `authorize` never calls Slack: it
answers from what was learnt, or, until then, from the bot user the event's `authorizations`
names (read by `remember_bot_user`, Bolt's `before_authorize` hook).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import StartupError

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
RETRY_DELAYS_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # then every 60 s
BOT_USER_HINT = "docsbot_bot_user_hint"


async def check_token(
    variable: str, call: Awaitable[AsyncSlackResponse]
) -> AsyncSlackResponse | None:
    """Await a token check: refused → StartupError; Slack unreachable or failing → None."""
    try:
        return await call
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in TOKEN_ERRORS:
            raise StartupError(f"{variable} was refused by Slack ({error})") from exc
        logger.warning("Slack could not check %s (%s); will retry", variable, error)
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        logger.warning("Slack unreachable while checking %s (%s); will retry", variable, exc)
    return None


class BotIdentity:
    """The bot's user and workspace, from `auth.test`; serves Bolt's `authorize`."""

    def __init__(
        self,
        client: AsyncWebClient,
        token: str,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self._client = client
        self._token = token
        self._retry_delays = retry_delays
        self._known: AsyncSlackResponse | None = None
        self._retrying: asyncio.Task[None] | None = None

    @property
    def known(self) -> bool:
        """Whether `auth.test` has answered."""
        return self._known is not None

    async def verify(self) -> None:
        """Check the token at start-up; if Slack cannot answer now, retry in the background."""
        result = await check_token("SLACK_BOT_TOKEN", self._client.auth_test())
        if result is None:
            self._retrying = asyncio.create_task(self._retry(), name="slack.identity")
        else:
            self._learn(result)

    async def close(self) -> None:
        """Stop retrying (on shutdown)."""
        task, self._retrying = self._retrying, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def authorize_result(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        bot_user_hint: str | None,
    ) -> AuthorizeResult:
        """The bot token, with who the bot is (or the request's hint until auth.test answers)."""
        known = self._known
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or (known.get("team_id") if known else None),
            bot_user_id=str(known["user_id"]) if known else bot_user_hint,
            bot_id=known.get("bot_id") if known else None,
            bot_token=self._token,
            user_id=user_id,
        )

    async def _retry(self) -> None:
        delays = iter(self._retry_delays)
        while True:
            delay = next(delays, self._retry_delays[-1])
            await asyncio.sleep(delay)
            try:
                result = await check_token("SLACK_BOT_TOKEN", self._client.auth_test())
            except StartupError as exc:  # refused after all: nothing will work; say so once
                logger.error("%s; the bot cannot answer until the token is fixed", exc)
                return
            if result is not None:
                self._learn(result)
                return

    def _learn(self, result: AsyncSlackResponse) -> None:
        self._known = result
        logger.info("bot user %s in team %s", result.get("user_id"), result.get("team_id"))


async def authorize(
    identity: BotIdentity,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None,
    context: AsyncBoltContext,
) -> AuthorizeResult:
    """Bolt's authorize (bind identity with functools.partial): never waits on Slack."""
    return identity.authorize_result(enterprise_id, team_id, user_id, context.get(BOT_USER_HINT))


async def remember_bot_user(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
) -> None:
    """Before authorize: note the bot user an event's `authorizations` names (docs/slack.md §7)."""
    authorizations = body.get("authorizations") or []
    first = authorizations[0] if authorizations and isinstance(authorizations[0], dict) else {}
    if first.get("is_bot") and isinstance(first.get("user_id"), str):
        context[BOT_USER_HINT] = first["user_id"]
    await next()
