"""One reply streamed natively, falling back to edits without losing text.

The planner reserved the stream's start and stop (and saw room for an append) before the
reply began; a writer task moves it along as drafts come, the final answer ends it:

    NATIVE  stable text → chat.startStream, then chat.appendStream (a fair share of appends)
       │    rewritten text, stream closed or too old, refused call → chat.stopStream, then …
       ▼
    EDITS   chat.update edits of the same message (only its final edit is reserved); or,
            if the start itself was refused, the first words posted and edited
    ONCE    the start refused and no edit budget: the complete answer posted when ready
    Stop pressed: nothing more is sent; the Ask is closed.

At the end an open stream is stopped with the rest of the answer's first message and the
sources and buttons as blocks; longer answers continue in thread replies. If the answer
no longer extends what was streamed (GitBook rewrote it, or links were resolved late) the
stream is stopped as it is and the message corrected with `chat.update`.

Over the ~250-line guide: the stream, its fall-backs and its ending are one state machine
(Delivery.NATIVE → EDITS or ONCE), read best in one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.errors import SlackDeliveryError
from bot.models import Answer
from bot.slack import blocks as messages
from bot.slack.delivery.planner import Delivery, Plan, Planner
from bot.slack.delivery.stream import (
    STREAM_LIFETIME_SECONDS,
    NativeStream,
    NativeSupport,
    Refusal,
    error_of,
    refusal_of,
)
from bot.slack.delivery.stream_text import HARD_LIMIT, next_view, remainder
from bot.slack.delivery.writer import (
    UNREACHABLE_CHANNEL,
    Progress,
    ReplyTarget,
    SlackWriter,
)

__all__ = ["NativeReply", "NativeSupport", "OnPosted"]

# Told the reply's ts once its first message exists (the reply journal, bot.slack.recovery).
OnPosted = Callable[[str], Awaitable[None]]

logger = logging.getLogger(__name__)


class NativeReply:
    """Streams one reply natively into target's thread."""

    def __init__(
        self,
        writer: SlackWriter,
        client: AsyncWebClient,
        planner: Planner,
        support: NativeSupport,
        target: ReplyTarget,
        progress: Progress,
        *,
        lifetime: float = STREAM_LIFETIME_SECONDS,
        on_posted: OnPosted | None = None,
    ) -> None:
        self._on_posted = on_posted
        self._writer = writer
        self._client = client
        self._planner = planner
        self._support = support
        self._target = target
        self._lifetime = lifetime
        self._progress = progress  # filled by the task reading the answer
        self._delivery = Delivery.NATIVE  # as planned, until it falls back
        self._stopped = False  # the asker pressed Stop
        self._stream: NativeStream | None = None  # open while set
        self._ts: str | None = None  # the reply's message, once there is one
        self._sent = ""  # what the stream shows
        self._considered: object = None  # the last draft the writer looked at
        self._edit_drafts = False  # after a fall-back: whether drafts are edited in

    async def run(self, reading: asyncio.Task[Answer]) -> Answer | None:
        """Deliver what reading puts in progress; return the final answer, or None if the
        asker pressed Stop."""
        writer, target = self._writer, self._target
        await writer.set_status(target, notices.STATUS)
        writing = asyncio.create_task(self._write())
        try:
            final = await self._read(reading, writing)
        except BaseException as exc:
            await self._halt(writing)
            if not isinstance(exc, SlackDeliveryError):  # else a notice would be refused too
                await self._interrupted(restarting=isinstance(exc, asyncio.CancelledError))
            raise
        finally:
            await writer.set_status(target, "")
        failure = await self._halt(writing)
        if failure is not None:
            raise failure
        if final is not None and not self._stopped:
            await self._finish(final)
        return final

    async def _read(
        self, reading: asyncio.Task[Answer], writing: asyncio.Task[None]
    ) -> Answer | None:
        # Reading is a task of its own, so that a Stop (the writer ending) cuts it short.
        try:
            await asyncio.wait({reading, writing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not reading.done():
                reading.cancel()
                await asyncio.wait({reading})
        if writing.done():
            if not reading.cancelled():
                reading.exception()  # retrieved: the writer's outcome wins
            writing.result()  # the writer's failure, if it failed
            return None  # the writer only ends early when the asker pressed Stop
        return reading.result()

    async def _halt(self, writing: asyncio.Task[None]) -> BaseException | None:
        self._progress.close()
        await asyncio.wait({writing})
        return None if writing.cancelled() else writing.exception()

    # --- the writer task ---------------------------------------------------------------

    async def _write(self) -> None:
        progress, target = self._progress, self._target
        with self._planner.streaming(target.workspace, Delivery.NATIVE):
            while not progress.closed:
                await self._next_change()
                if progress.closed:
                    return
                if self._delivery is Delivery.NATIVE:
                    await self._stream_draft()
                if self._stopped:
                    return
                if self._delivery is not Delivery.NATIVE:
                    break
                await self._writer.pause(
                    progress, self._writer.fair_interval(target, Delivery.NATIVE)
                )
        if not progress.closed and not self._stopped:
            await self._write_edits()

    async def _next_change(self) -> None:
        # An open stream also wakes up when it is due to roll over.
        timeout = None
        if self._stream is not None:
            timeout = max(self._lifetime - self._stream.age, 0.0)
        try:
            async with asyncio.timeout(timeout):
                await self._progress.changed.wait()
        except TimeoutError:
            pass
        self._progress.changed.clear()

    async def _start_edits(self, plan: Plan) -> None:
        """Nothing is shown yet: post the first words and edit them, or wait to post once."""
        if plan.delivery is Delivery.ONCE:
            self._delivery = Delivery.ONCE
            return
        draft = self._progress.draft
        assert draft is not None
        self._ts = await self._writer.post(self._target, messages.draft(draft.markdown))
        await self._posted(self._ts)
        # The post carries the first words: what the plan reserved beyond the final edit
        # (nothing, for plan_shown) is what the drafts may spend.
        self._progress.shown, self._progress.reserved_edits = draft, plan.reserved_edits
        self._delivery, self._edit_drafts = Delivery.EDITS, True

    async def _write_edits(self) -> None:
        if self._delivery is Delivery.EDITS and self._edit_drafts and self._ts is not None:
            self._progress.changed.set()  # show the latest draft now
            await self._writer.edit_drafts(self._target, self._ts, self._progress)
        else:
            await self._progress.finished.wait()

    async def _stream_draft(self) -> None:
        stream, draft = self._stream, self._progress.draft
        if stream is not None and stream.age >= self._lifetime:
            return await self._hand_off("the stream is about to expire")
        if draft is None or draft is self._considered:
            return
        view = next_view(draft.markdown, self._sent)
        if view.rewritten:
            return await self._hand_off("the answer rewrote streamed text")
        if view.text is None:
            self._considered = draft
            return
        if stream is None:
            await self._start(view.text)
        elif await self._planner.try_append(self._workspace, intermediate=True):
            await self._append(stream, view.text)
        else:
            return  # no append budget now: a later draft (or the stop) carries the text
        self._considered = draft

    async def _start(self, text: str) -> None:
        try:
            stream = await NativeStream.start(self._client, self._target, text)
        except SlackApiError as exc:
            error = error_of(exc)
            if error in UNREACHABLE_CHANNEL:
                channel = self._target.channel
                raise SlackDeliveryError("chat.startStream", error, channel=channel) from exc
            self._support.refused(error)
            logger.info("native stream refused (%s); streaming by edits", error)
            return await self._start_edits(await self._planner.plan_shown(self._workspace))
        self._stream, self._ts, self._sent = stream, stream.ts, text
        await self._posted(stream.ts)

    async def _posted(self, ts: str) -> None:
        if self._on_posted is not None:
            await self._on_posted(ts)

    async def _append(self, stream: NativeStream, text: str) -> None:
        try:
            await stream.append(text[len(self._sent) :])
        except SlackApiError as exc:
            return await self._refused(refusal_of(exc), error_of(exc))
        self._sent = text

    async def _refused(self, refusal: Refusal, error: str) -> None:
        if refusal is Refusal.USER:
            logger.info("the asker stopped the stream; closing the answer")
            self._stream, self._stopped = None, True
        elif refusal is Refusal.GONE:
            self._stream = None
            await self._hand_off(f"the stream ended ({error})")
        elif refusal is Refusal.CANNOT:
            await self._hand_off(f"an append was refused ({error})")
        # BUSY: skipped; the next append or the stop carries the text

    async def _hand_off(self, reason: str) -> None:
        """Stop the stream as it is and go on editing its message."""
        logger.info("native stream handed over to edits: %s", reason)
        stream, self._stream = self._stream, None
        if stream is not None and await stream.stop_quietly() is Refusal.USER:
            self._stopped = True
            return
        self._delivery = Delivery.EDITS
        self._progress.shown = None  # the message shows streamed text, not a draft
        # The message already shows text: its final edit is reserved, drafts share the rest.
        plan = await self._planner.plan_shown(self._workspace)
        self._progress.reserved_edits, self._edit_drafts = plan.reserved_edits, plan.streamed

    @property
    def _workspace(self) -> str:
        return self._target.workspace

    # --- the end ------------------------------------------------------------------------

    async def _finish(self, final: Answer) -> None:
        writer, target = self._writer, self._target
        if self._stream is not None:
            await self._stop_with(final)
        elif self._delivery is Delivery.EDITS and self._ts is not None:
            await writer.edit_or_repost(target, self._ts, messages.answer_messages(final))
        else:
            first, *rest = messages.answer_messages(final)
            await self._posted(await writer.post(target, first))
            await writer.post_all(target, rest)

    async def _stop_with(self, final: Answer) -> None:
        """Stop the stream with the rest of the first message and its blocks."""
        stream = self._stream
        assert stream is not None and self._ts is not None
        parts = messages.streamed_final(final)
        rest = remainder(parts.body, self._sent)
        if rest is None or stream.age >= self._lifetime:
            return await self._correct(stream, final)
        try:
            await stream.stop(rest, parts.blocks)
        except SlackApiError as exc:
            if refusal_of(exc) is Refusal.USER:
                return
            logger.info("stopping the stream refused (%s); editing instead", error_of(exc))
            return await self._correct(stream, final)
        await self._writer.post_all(self._target, parts.rest)

    async def _correct(self, stream: NativeStream, final: Answer) -> None:
        """Stop the stream as it is, then edit its message into the final answer."""
        if await stream.stop_quietly() is Refusal.USER:
            return
        # Counted in the edit window, but sent either way: a final write must land.
        await self._planner.try_edit(self._workspace)
        await self._writer.edit_or_repost(self._target, stream.ts, messages.answer_messages(final))

    async def _interrupted(self, *, restarting: bool) -> None:
        """Keep what the asker read, and say the answer stopped there."""
        writer, target, stream = self._writer, self._target, self._stream
        if self._stopped:
            return
        if stream is not None:
            try:
                await stream.stop(
                    self._latest_rest(), messages.stopped_notice(restarting=restarting)
                )
                return
            except SlackApiError as exc:
                logger.info("could not stop the stream with a notice: %s", error_of(exc))
        if self._ts is None:
            await writer.post(target, messages.interrupted(None, restarting=restarting))
            return
        shown = self._progress.shown.markdown if self._progress.shown else self._sent or None
        notice = messages.interrupted(shown, restarting=restarting)
        await writer.edit_or_repost(target, self._ts, [notice])

    def _latest_rest(self) -> str:
        """The latest draft beyond what was streamed, healed, if it extends it and fits."""
        draft = self._progress.draft
        if draft is None:
            return ""
        latest = messages.display_markdown(draft.markdown.lstrip(), partial=True)
        rest = remainder(latest, self._sent)
        return rest if rest is not None and len(latest) <= HARD_LIMIT else ""
