"""Links back to where an answer was shown, for the people it is handed to.

A public answer has a message: ``chat.getPermalink`` links it (a thread reply's link opens its
thread; docs/slack.md §11, chat:write is enough). A private answer (ephemeral) has none: its thread
is linked when there is one, else the channel it was asked in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where an answer was shown."""

    channel: str
    message_ts: str | None  # the answer's message (an ephemeral's ts means nothing to links)
    thread: str | None  # the thread it sits in (its own ts at the top level)
    private: bool
    domain: str | None = None  # the workspace's <domain>.slack.com, from the payload's team

    @property
    def thread_of_private(self) -> str | None:
        """The thread a private answer was shown in, if it was shown in one."""
        return self.thread if self.private and self.thread != self.message_ts else None

    def channel_url(self) -> str | None:
        """The channel's own link (the workspace's domain is needed)."""
        return f"https://{self.domain}.slack.com/archives/{self.channel}" if self.domain else None


async def conversation_link(slack: AsyncWebClient, where: Conversation) -> str | None:
    """The best link to where the answer was shown; None when there is nothing to link."""
    ts = where.thread_of_private if where.private else where.message_ts
    if ts is None:
        return where.channel_url()
    try:
        response = await slack.chat_getPermalink(channel=where.channel, message_ts=ts)
    except SlackApiError as exc:
        logger.warning(
            "no permalink for a message in %s: %s", where.channel, exc.response.get("error")
        )
        return where.channel_url()
    link = response.get("permalink")
    return str(link) if link else where.channel_url()
