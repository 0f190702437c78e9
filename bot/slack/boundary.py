"""The one place a failure that escaped a listener becomes the asker's message.

Bolt hands every exception a listener raised to ``on_listener_error``: the asker is told (an
ephemeral reply for commands, buttons and shortcuts, a reply in the thread for messages), unless
the reply was already closed with a notice (``ReplyClosed``) or Slack refused us the channel
(``SlackDeliveryError``, where another post would be refused too). Cancellation never gets here:
replies close themselves on shutdown.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ReplyClosed, SlackDeliveryError
from bot.slack import blocks

logger = logging.getLogger(__name__)


def request_kind(body: dict[str, Any]) -> str:
    """What a Slack request is, for logs: its type, or "command" for a slash command."""
    return str(body.get("type") or ("command" if "command" in body else "unknown"))


async def on_listener_error(
    client: AsyncWebClient,
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None,
) -> None:
    """Log the failure (never the payload) and tell the asker, once."""
    kind = request_kind(body)
    if isinstance(error, SlackDeliveryError):
        logger.error("cannot reply (%s) in channel %s: %s", kind, error.channel, error.error)
        return
    if isinstance(error, ReplyClosed):
        logger.error("reply closed after a failure in %s", kind, exc_info=error.__cause__)
        return
    logger.error("unhandled failure in %s", kind, exc_info=error)
    try:
        await _tell_asker(error, body, client, respond)
    except (SlackApiError, SlackClientError, OSError) as exc:
        logger.warning("could not tell the asker about the failure: %s", exc)


async def _tell_asker(
    error: Exception, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None
) -> None:
    message = blocks.error_notice(error)
    if respond is not None and body.get("response_url"):  # else Bolt's respond raises
        await respond(**message.as_kwargs(), response_type="ephemeral", replace_original=False)
        return
    event = body.get("event") or {}
    channel = event.get("channel")
    if body.get("type") != "event_callback" or not isinstance(channel, str):
        return  # nobody to tell: a Home tab, a view closed, an unknown payload
    thread_ts = event.get("thread_ts")
    if thread_ts is None and event.get("channel_type") != "im":
        thread_ts = event.get("ts")  # channel questions are answered in their thread
    await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.as_kwargs())
