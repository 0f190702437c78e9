"""One native Slack stream: `chat.startStream`, `chat.appendStream`, `chat.stopStream`.

The three calls (docs/slack.md §4 and §3; Tier 2, 4 and 2 per workspace, budgeted in
``bot.slack.delivery.planner``) and what their errors mean for the reply, as ``Refusal`` kinds:

- ``USER``: the asker pressed Stop (`stopped_by_user`): stop quietly, stop the answer too;
- ``GONE``: the stream ended (`message_not_in_streaming_state`: expired after about five
  minutes, or already stopped); the message stays and can still be edited;
- ``BUSY``: rate limited beyond the client's retries: skip this append, send it later;
- ``CANNOT``: anything else (`unknown_method`, `not_allowed_token_type`, `missing_scope`,
  `streaming_state_conflict`, size or block errors, ...): continue by other means.

Calls on one stream are serialized by the caller (Slack: "serialize writes to a stream").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery.writer import ReplyTarget

logger = logging.getLogger(__name__)

# The app or its token cannot stream at all: remembered for the process.
UNAVAILABLE = frozenset({"unknown_method", "not_allowed_token_type"})
# Slack closes a stream about 5 minutes after chat.startStream (3p: ~306 s measured) and
# appends do not extend it: roll over to edits well before.
STREAM_LIFETIME_SECONDS = 240.0


class Refusal(StrEnum):
    """What a refused stream call means for the reply."""

    USER = "stopped_by_user"
    GONE = "gone"
    BUSY = "busy"
    CANNOT = "cannot"


def error_of(exc: SlackApiError) -> str:
    """The Web API error code of a refused call."""
    return str(exc.response.get("error") or "unknown")


def refusal_of(exc: SlackApiError) -> Refusal:
    """Classify a refused stream call."""
    error = error_of(exc)
    if error == "stopped_by_user":
        return Refusal.USER
    if error == "message_not_in_streaming_state":
        return Refusal.GONE
    if exc.response.status_code == 429 or error in ("ratelimited", "rate_limited"):
        return Refusal.BUSY
    return Refusal.CANNOT


class NativeSupport:
    """Whether this app and token can stream natively at all, learned once per process."""

    def __init__(self) -> None:
        self.available = True

    def refused(self, error: str) -> None:
        """Note a refused chat.startStream; some errors rule native streaming out for good."""
        if error in UNAVAILABLE and self.available:
            logger.warning("native streaming unavailable (%s): using edits from now on", error)
            self.available = False


class NativeStream:
    """An open native stream: the message ts, its age and the calls on it."""

    def __init__(
        self,
        client: AsyncWebClient,
        target: ReplyTarget,
        ts: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ts = ts
        self._client = client
        self._target = target
        self._clock = clock
        self._started = clock()

    @classmethod
    async def start(
        cls,
        client: AsyncWebClient,
        target: ReplyTarget,
        text: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> NativeStream:
        """Start a stream in the target's thread showing text (raises SlackApiError)."""
        assert target.thread_ts is not None, "a native stream replies in a thread"
        response = await client.chat_startStream(
            channel=target.channel,
            thread_ts=target.thread_ts,
            # Required in channels; reported required in DMs too: always send both.
            recipient_user_id=target.user,
            recipient_team_id=target.workspace,
            markdown_text=text,
        )
        return cls(client, target, str(response["ts"]), clock=clock)

    @property
    def age(self) -> float:
        """Seconds since the stream started."""
        return self._clock() - self._started

    async def append(self, text: str) -> None:
        """Append text (raises SlackApiError)."""
        await self._client.chat_appendStream(
            channel=self._target.channel, ts=self.ts, markdown_text=text
        )

    async def stop(self, text: str = "", blocks: list[dict[str, Any]] | None = None) -> None:
        """End the stream with a last text and blocks under it (raises SlackApiError)."""
        await self._client.chat_stopStream(
            channel=self._target.channel,
            ts=self.ts,
            markdown_text=text or None,
            blocks=blocks or None,
        )

    async def stop_quietly(self) -> Refusal | None:
        """End the stream as it is; say how Slack refused, if it did."""
        try:
            await self.stop()
        except SlackApiError as exc:
            logger.info("could not stop the stream: %s", error_of(exc))
            return refusal_of(exc)
        return None
