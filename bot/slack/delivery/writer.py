"""What every way of delivering a reply shares: where it goes, its progress, Slack writes.

``SlackWriter`` holds the plain writes (post, edit, the paced edit loop, the final edit
that always lands or is reposted, the thread status); the edit path
(``bot.slack.delivery.streamer``) and the native path (``bot.slack.delivery.native``) are
built from them. Every post waits for its channel's window (``Planner.post_slot``), so a
burst in one channel queues instead of being refused and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.errors import SlackDeliveryError
from bot.models import Answer, AnswerUpdate, Draft
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.planner import Delivery, Planner

logger = logging.getLogger(__name__)

# Slack will not let the bot write to this channel: no other way of replying fares better.
UNREACHABLE_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply goes: a channel (or DM), the thread if any, and who asked.

    ``user`` is the asker (a native stream's recipient); ``question_ts`` is the asker's
    message, under which a top-level DM is threaded when STREAM_MODE=native.
    """

    channel: str
    thread_ts: str | None
    workspace: str
    user: str | None = None
    question_ts: str | None = None

    def in_thread(self, thread_ts: str | None) -> ReplyTarget:
        """The same target, replying in thread_ts."""
        return replace(self, thread_ts=thread_ts)


@dataclass
class Progress:
    """Shared between the reader of updates and the task writing them to Slack."""

    draft: Draft | None = None
    shown: Draft | None = None
    closed: bool = False
    reserved_edits: int = 0

    def __post_init__(self) -> None:
        self.changed = asyncio.Event()
        self.finished = asyncio.Event()
        self.first_words = asyncio.Event()  # the first draft came, or the reading ended

    def close(self) -> None:
        """Tell the writer that no more drafts come."""
        self.closed = True
        self.finished.set()
        self.changed.set()


async def read_final(updates: AsyncIterator[AnswerUpdate], progress: Progress) -> Answer:
    """Put each draft in progress; return the final answer."""
    try:
        async for update in updates:
            if isinstance(update, Answer):
                return update
            progress.draft = update
            progress.changed.set()
            progress.first_words.set()
    finally:
        progress.first_words.set()
    raise RuntimeError("the answer stream ended without a final answer")


class SlackWriter:
    """Posts, edits (paced, in order, within the budget) and thread statuses."""

    def __init__(
        self, client: AsyncWebClient, planner: Planner, *, edit_interval: float = 1.0
    ) -> None:
        self._client = client
        self._planner = planner
        self.interval = edit_interval
        self._status_enabled = True

    async def post(self, target: ReplyTarget, message: SlackMessage) -> str:
        """Post a new message in the target's thread (queued for its channel); return its ts."""
        kwargs = message.as_kwargs()
        told = False

        async def waiting() -> None:
            nonlocal told
            told = await self._queued(target, notices.QUEUED_STATUS)

        while True:
            await self._planner.post_slot(target.workspace, target.channel, waiting=waiting)
            try:
                response = await self._client.chat_postMessage(
                    channel=target.channel,
                    thread_ts=target.thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                    **kwargs,
                )
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    # Still limited after the client's retries: back in line, never dropped.
                    logger.info("post to %s still rate limited; queued again", target.channel)
                    continue
                raise SlackDeliveryError(
                    "chat.postMessage", str(exc.response.get("error")), channel=target.channel
                ) from exc
            if told:
                await self._queued(target, "")  # the reply is there: clear the note
            return str(response["ts"])

    async def _queued(self, target: ReplyTarget, status: str) -> bool:
        """Say in the thread that the reply waits behind Slack's limits (best effort)."""
        if not target.thread_ts:
            return False
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=target.channel, thread_ts=target.thread_ts, status=status
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            # The head of the channel's line runs this for whoever waits behind it: a note
            # that cannot be said must not fail the head's own post.
            logger.info("could not say the reply is queued: %r", exc)
            return False
        return True

    async def post_all(self, target: ReplyTarget, replies: list[SlackMessage]) -> None:
        """Post messages one after another in the target's thread."""
        for message in replies:
            await self.post(target, message)

    async def whisper(self, target: ReplyTarget, user: str, text: str) -> bool:
        """Best effort: an ephemeral note to user in the target channel; say if it landed."""
        try:
            await self._client.chat_postEphemeral(channel=target.channel, user=user, text=text)
        except SlackApiError as exc:
            logger.info("could not tell the asker either: %s", exc.response.get("error"))
            return False
        return True

    async def set_status(
        self, target: ReplyTarget, status: str, *, channel_threads: bool = False
    ) -> None:
        """The thread's "is searching…" line, while Slack allows it: DM threads, and channel
        threads where asked (a reply with nothing else to show yet)."""
        in_dm = target.channel.startswith("D")
        if not (self._status_enabled and target.thread_ts and (in_dm or channel_threads)):
            return
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=target.channel, thread_ts=target.thread_ts, status=status
            )
        except SlackApiError as exc:
            logger.info(
                "thread status unavailable (%s); not trying again", exc.response.get("error")
            )
            self._status_enabled = False

    async def edit_drafts(self, target: ReplyTarget, ts: str, progress: Progress) -> None:
        """Edit ts to show each new draft, paced at a fair share, until progress is closed."""
        with self._planner.streaming(target.workspace, Delivery.EDITS):
            while True:
                await progress.changed.wait()
                progress.changed.clear()
                draft = progress.draft
                if progress.closed:
                    return
                if draft is None or draft is progress.shown:
                    continue
                if progress.reserved_edits or await self._planner.try_edit(
                    target.workspace, intermediate=True
                ):
                    progress.reserved_edits = max(0, progress.reserved_edits - 1)
                    await self._edit_draft(target, ts, draft)
                    progress.shown = draft
                await self.pause(progress, self.fair_interval(target, Delivery.EDITS))

    def fair_interval(self, target: ReplyTarget, delivery: Delivery) -> float:
        """This reply's pause between two intermediate writes (see Planner.edit_interval)."""
        return self._planner.edit_interval(target.workspace, delivery, self.interval)

    async def _edit_draft(self, target: ReplyTarget, ts: str, draft: Draft) -> None:
        try:
            await self.update(target, ts, messages.draft(draft.markdown))
        except SlackApiError as exc:
            # An intermediate edit may be lost; the final edit carries the whole answer.
            logger.warning("intermediate edit skipped: %s", exc.response.get("error"))

    async def pause(self, progress: Progress, interval: float | None = None) -> None:
        """Wait the edit interval (or interval), or less if the answer finishes meanwhile."""
        try:
            async with asyncio.timeout(self.interval if interval is None else interval):
                await progress.finished.wait()
        except TimeoutError:
            return

    async def update(self, target: ReplyTarget, ts: str, message: SlackMessage) -> None:
        """Replace the message at ts."""
        await self._client.chat_update(channel=target.channel, ts=ts, **message.as_kwargs())

    async def edit_or_repost(self, target: ReplyTarget, ts: str, final: list[SlackMessage]) -> None:
        """Make ts show final[0] (or post it anew), then post the rest in the thread."""
        try:
            await self.update(target, ts, final[0])
        except SlackApiError as exc:
            logger.warning(
                "final edit refused (%s); posting the answer anew", exc.response.get("error")
            )
            await self._replace(target, ts, final[0])
        await self.post_all(target, final[1:])

    async def _replace(self, target: ReplyTarget, ts: str, message: SlackMessage) -> None:
        await self.post(target, message)
        try:
            await self._client.chat_delete(channel=target.channel, ts=ts)
        except SlackApiError as exc:
            logger.warning(
                "could not remove the superseded placeholder: %s", exc.response.get("error")
            )
