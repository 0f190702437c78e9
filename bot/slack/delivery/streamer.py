"""Streams an answer into Slack, as the planner plans each reply (STREAM_MODE picks the order).

The Ask starts at once: the answer's updates are read from the first moment, while the
reply is planned and its first message posted. Then, per ``Planner.plan_reply``:

- *native* (``bot.slack.delivery.native``): ``chat.startStream`` → ``chat.appendStream``* →
  ``chat.stopStream``, for replies in a thread to a known asker (Slack requires a thread
  and the recipient), unless Slack said this app or token cannot stream natively. Auto
  mode prefers it in DM threads, and uses it for channel threads when edits run short;
  STREAM_MODE=native prefers it in every thread;
- *edits*: a placeholder at once (or, under load, the first words as soon as GitBook
  sends them, within the ack second), paced ``chat.update`` edits (at most one per
  ``edit_interval`` per reply, less often as replies pile up, never overlapping, never
  out of order) and a final edit that always lands, or the final answer is posted anew
  and the placeholder removed. Refresh edits the answer in place;
- *once*: under load, one post of the complete answer.

The streamer knows Slack and our answer updates, nothing of GitBook.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.models import Answer, AnswerUpdate
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.modes import StreamMode
from bot.slack.delivery.native import NativeReply, NativeSupport, OnPosted
from bot.slack.delivery.planner import Delivery, Plan, Planner
from bot.slack.delivery.stream import STREAM_LIFETIME_SECONDS
from bot.slack.delivery.writer import Progress, ReplyTarget, SlackWriter, read_final

__all__ = ["ReplyTarget", "Streamer"]

# How long a first post may wait for the answer's first words: Slack's users should see
# something within a second of asking (CONTRACT "What a user sees"), round trip included.
FIRST_WORDS_WAIT_SECONDS = 0.7


class Streamer:
    """Delivers answer updates as one growing Slack reply."""

    def __init__(
        self,
        client: AsyncWebClient,
        planner: Planner,
        *,
        edit_interval: float = 1.0,
        mode: str = "auto",
        native: NativeSupport | None = None,
        stream_lifetime: float = STREAM_LIFETIME_SECONDS,
        first_words_wait: float = FIRST_WORDS_WAIT_SECONDS,
    ) -> None:
        self._mode = StreamMode(mode)  # ValueError for anything but the modes listed there
        self._client = client
        self._planner = planner
        self._writer = SlackWriter(client, planner, edit_interval=edit_interval)
        self._native = native or NativeSupport()
        self._lifetime = stream_lifetime
        self._first_words_wait = first_words_wait

    async def post(self, target: ReplyTarget, message: SlackMessage) -> str:
        """Post a new message in the target's thread; return its ts."""
        return await self._writer.post(target, message)

    async def whisper(self, target: ReplyTarget, user: str, text: str) -> bool:
        """Best effort: an ephemeral note to user in the target channel; say if it landed."""
        return await self._writer.whisper(target, user, text)

    async def stream(
        self,
        target: ReplyTarget,
        updates: AsyncIterator[AnswerUpdate],
        *,
        existing_ts: str | None = None,
        on_posted: OnPosted | None = None,
    ) -> Answer | None:
        """Show updates in one reply (into existing_ts if given); None if the asker stopped it.

        on_posted is told the reply's ts once its first message exists (the reply journal).
        """
        progress = Progress()
        # The Ask starts now, while the reply is planned and posted.
        reading = asyncio.create_task(read_final(updates, progress), name="delivery.read")
        try:
            return await self._deliver(target, progress, reading, existing_ts, on_posted or _nobody)
        finally:
            if not reading.done():
                reading.cancel()
            await asyncio.wait({reading})

    async def _deliver(
        self,
        target: ReplyTarget,
        progress: Progress,
        reading: asyncio.Task[Answer],
        existing_ts: str | None,
        posted: OnPosted,
    ) -> Answer | None:
        if existing_ts is not None:  # an existing message can only be edited
            # Its final edit goes out whatever the window says; reserve it where it fits.
            await self._planner.plan_shown(target.workspace)
            return await self._stream_edits(
                target, progress, reading, posted, existing_ts=existing_ts
            )
        thread = self._native_thread(target)
        plan = await self._planner.plan_reply(
            target.workspace, native=thread is not None, prefer_native=self._prefers(target)
        )
        if plan.delivery is Delivery.NATIVE:
            reply = NativeReply(
                self._writer,
                self._client,
                self._planner,
                self._native,
                target.in_thread(thread),
                progress,
                lifetime=self._lifetime,
                on_posted=posted,
            )
            return await reply.run(reading)
        if plan.delivery is Delivery.ONCE:
            return await self._deliver_once(target, reading, posted)
        return await self._stream_edits(target, progress, reading, posted, plan=plan)

    def _native_thread(self, target: ReplyTarget) -> str | None:
        """The thread a native stream would answer in, or None if it cannot stream natively."""
        if self._mode is StreamMode.EDIT or not self._native.available:
            return None
        if not (target.user and target.workspace):
            return None  # a native stream needs its recipient
        if self._mode is StreamMode.NATIVE:
            return target.thread_ts or target.question_ts
        return target.thread_ts  # auto: only where the reply is in a thread anyway

    def _prefers(self, target: ReplyTarget) -> bool:
        """Whether native comes first: DM threads in auto (the thread status shows at once),
        every thread in native mode. Channel threads in auto keep the placeholder people see
        at once while edits last (a native stream cannot show one)."""
        return self._mode is StreamMode.NATIVE or target.channel.startswith("D")

    async def _stream_edits(
        self,
        target: ReplyTarget,
        progress: Progress,
        reading: asyncio.Task[Answer],
        posted: OnPosted,
        *,
        plan: Plan | None = None,
        existing_ts: str | None = None,
    ) -> Answer:
        writer = self._writer
        first_words = plan is not None and plan.first_words
        status_shown = first_words and await self._first_words(target, progress)
        first = progress.draft if first_words else None
        ts = existing_ts or await writer.post(
            target, messages.draft(first.markdown) if first else messages.placeholder()
        )
        await posted(ts)
        if status_shown and not target.channel.startswith("D"):  # DM threads keep theirs
            await writer.set_status(target, "", channel_threads=True)
        progress.shown, progress.reserved_edits = first, plan.reserved_edits if plan else 0
        if not status_shown:
            await writer.set_status(target, notices.STATUS)
        editor = asyncio.create_task(writer.edit_drafts(target, ts, progress))
        try:
            final = await reading
        except BaseException as exc:
            await _stop(editor, progress)
            # Keep what the asker already read; say the answer stopped there.
            shown = progress.shown.markdown if progress.shown else None
            notice = messages.interrupted(shown, restarting=isinstance(exc, asyncio.CancelledError))
            await writer.edit_or_repost(target, ts, [notice])
            raise
        finally:
            await writer.set_status(target, "")
        await _stop(editor, progress)
        await writer.edit_or_repost(target, ts, messages.answer_messages(final))
        return final

    async def _first_words(self, target: ReplyTarget, progress: Progress) -> bool:
        """Wait until the answer has words (or is done); past the ack second, in a thread,
        the thread status says the bot is on it meanwhile (else a placeholder will). Say
        whether the status was shown."""
        try:
            async with asyncio.timeout(self._first_words_wait):
                await progress.first_words.wait()
        except TimeoutError:
            if not target.thread_ts:
                return False
            await self._writer.set_status(target, notices.STATUS, channel_threads=True)
            await progress.first_words.wait()
            return True
        return False

    async def _deliver_once(
        self, target: ReplyTarget, reading: asyncio.Task[Answer], posted: OnPosted
    ) -> Answer:
        # Under load: no placeholder and no edits, one post of the complete answer.
        writer = self._writer
        await writer.set_status(target, notices.STATUS)
        try:
            final = await reading
        except BaseException as exc:
            restarting = isinstance(exc, asyncio.CancelledError)
            await writer.post(target, messages.interrupted(None, restarting=restarting))
            raise
        finally:
            await writer.set_status(target, "")
        first, *rest = messages.answer_messages(final)
        await posted(await writer.post(target, first))
        await writer.post_all(target, rest)
        return final


async def _nobody(ts: str) -> None:
    """No one to tell that a reply was posted."""


async def _stop(editor: asyncio.Task[None], progress: Progress) -> None:
    progress.close()
    await editor
