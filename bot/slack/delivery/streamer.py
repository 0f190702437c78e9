"""Streams an answer into Slack, choosing per reply how (STREAM_MODE=auto|native|edit).

- *native* (``bot.slack.delivery.native``): ``chat.startStream`` → ``chat.appendStream``* →
  ``chat.stopStream``, for replies in a thread to a known asker (Slack requires a thread
  and the recipient), unless Slack said this app or token cannot stream natively. In
  auto mode only in DM threads; STREAM_MODE=native uses it for every thread;
- *edits*: a placeholder, paced ``chat.update`` edits (at most one per ``edit_interval``
  per reply, fewer when the workspace budget is low, never overlapping, never out of
  order) and a final edit that always lands, or the final answer is posted anew and the
  placeholder removed. Used for channels and top-level DMs in auto mode, Refresh (which edits the
  answer in place), STREAM_MODE=edit, and whenever a native stream cannot go on;
- *once*: under load, one post of the complete answer (see ``bot.slack.delivery.budget``).

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
from bot.slack.delivery.budget import EditBudget
from bot.slack.delivery.native import NativeReply, NativeSupport, OnPosted
from bot.slack.delivery.stream import STREAM_LIFETIME_SECONDS
from bot.slack.delivery.writer import Progress, ReplyTarget, SlackWriter, read_final

__all__ = ["ReplyTarget", "Streamer"]

STREAM_MODES = ("auto", "native", "edit")


class Streamer:
    """Delivers answer updates as one growing Slack reply."""

    def __init__(
        self,
        client: AsyncWebClient,
        budget: EditBudget,
        *,
        edit_interval: float = 1.0,
        mode: str = "auto",
        native: NativeSupport | None = None,
        stream_lifetime: float = STREAM_LIFETIME_SECONDS,
    ) -> None:
        if mode not in STREAM_MODES:
            raise ValueError(f"stream mode must be one of {STREAM_MODES}, got {mode!r}")
        self._writer = SlackWriter(client, budget, edit_interval=edit_interval)
        self._mode = mode
        self._native = native or NativeSupport()
        self._lifetime = stream_lifetime

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
        posted = on_posted or _nobody
        thread = self._native_thread(target, existing_ts)
        if thread is not None:
            native_target = target.in_thread(thread)
            reply = NativeReply(
                self._writer, self._native, native_target, lifetime=self._lifetime, on_posted=posted
            )
            return await reply.run(updates)
        return await self._stream_edits(target, updates, existing_ts, posted)

    def _native_thread(self, target: ReplyTarget, existing_ts: str | None) -> str | None:
        """The thread a native stream would answer in, or None to use edits."""
        if self._mode == "edit" or existing_ts is not None or not self._native.available:
            return None  # an existing message can only be edited
        if not (target.user and target.workspace):
            return None  # a native stream needs its recipient
        if self._mode == "native":
            return target.thread_ts or target.question_ts
        # auto: natively only in DM threads, where the thread status shows at once; channel
        # threads keep the placeholder people see at once (a native stream cannot show one
        # without leaving it in the answer).
        return target.thread_ts if target.channel.startswith("D") else None

    async def _stream_edits(
        self,
        target: ReplyTarget,
        updates: AsyncIterator[AnswerUpdate],
        existing_ts: str | None,
        posted: OnPosted,
    ) -> Answer:
        writer = self._writer
        plan = await writer.budget.plan(target.workspace) if existing_ts is None else None
        if plan is not None and not plan.streamed:
            return await self._deliver_once(target, updates, posted)
        ts = existing_ts or await writer.post(target, messages.placeholder())
        await posted(ts)
        await writer.set_status(target, notices.STATUS)
        progress = Progress(reserved_edits=plan.reserved_edits if plan else 0)
        editor = asyncio.create_task(writer.edit_drafts(target, ts, progress))
        try:
            final = await read_final(updates, progress)
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

    async def _deliver_once(
        self, target: ReplyTarget, updates: AsyncIterator[AnswerUpdate], posted: OnPosted
    ) -> Answer:
        # Under load: no placeholder and no edits, one post of the complete answer.
        writer = self._writer
        await writer.set_status(target, notices.STATUS)
        try:
            final = await read_final(updates, Progress())
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
