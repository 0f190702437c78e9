"""Answering one question on one Slack surface: in a thread (streamed) or privately.

Handlers turn Slack payloads into a ``Question`` and a place to answer, then call
these; this is where the answer service's stream meets the streamer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import notices
from bot.answers.cache import AnswerArchive
from bot.answers.service import AnswerService, checked_question
from bot.errors import BotError, QuestionError, ReplyClosed, SlackDeliveryError
from bot.models import Answer, AnswerUpdate, Draft, Question
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.streamer import ReplyTarget, Streamer
from bot.slack.delivery.writer import UNREACHABLE_CHANNEL
from bot.slack.guards import UserRateLimit
from bot.slack.recovery import Entry, Journal, NoJournal, PendingReply
from bot.tasks import finish_or_cancel

logger = logging.getLogger(__name__)


class Replies:
    """Runs questions end to end and tracks them so shutdown can finish them."""

    def __init__(
        self,
        answers: AnswerService,
        streamer: Streamer,
        archive: AnswerArchive,
        rate_limit: UserRateLimit,
        *,
        per_minute: int,
        journal: Journal | None = None,
    ) -> None:
        self._journal = journal or NoJournal()  # where replies in flight are recorded
        self._answers = answers
        self._streamer = streamer
        self._archive = archive
        self._rate_limit = rate_limit
        self._per_minute = per_minute
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def _refusal(self, question: Question) -> SlackMessage | None:
        try:
            checked_question(question.text)
        except QuestionError as exc:
            return messages.error_notice(exc)
        if not await self._rate_limit.allow(question.asker.workspace, question.asker.user):
            return messages.notice(notices.rate_limited(self._per_minute))
        return None

    async def in_thread(
        self, question: Question, target: ReplyTarget, *, existing_ts: str | None = None
    ) -> None:
        """Answer in a thread (or DM), streaming into a new reply or into existing_ts."""
        with self.accepted():
            refusal = await self._refusal(question)
            if refusal is not None:
                await self._streamer.post(target, refusal)
                return
            entry = await self._journal.record(PendingReply(question, target, ts=existing_ts))
            try:
                await self._stream(question, target, existing_ts, entry)
            finally:
                await entry.done()

    async def _stream(
        self, question: Question, target: ReplyTarget, existing_ts: str | None, entry: Entry
    ) -> None:
        async with aclosing(self._answers.answer(question)) as updates:
            try:
                await self._streamer.stream(
                    target, updates, existing_ts=existing_ts, on_posted=entry.posted
                )
            except SlackDeliveryError as exc:
                if exc.error in UNREACHABLE_CHANNEL:
                    # Tell the asker privately where Slack allows it; the boundary logs it.
                    await self._streamer.whisper(target, question.asker.user, notices.CANNOT_POST)
                raise
            except Exception as exc:
                # The streamer closed the reply with a notice; the boundary only logs.
                raise ReplyClosed("reply closed after a failure") from exc

    async def resume(self, reply: PendingReply, entry: Entry) -> None:
        """Finish a reply a stopped process left: into its message if it had one, else anew."""
        with self.accepted():
            try:
                if reply.response_url is not None:
                    respond = AsyncRespond(response_url=reply.response_url)
                    await self._private(reply.question, respond, replace=reply.replace_original)
                elif reply.target is not None:
                    await self._stream(reply.question, reply.target, reply.ts, entry)
            except BotError as exc:
                logger.warning("resumed reply %s ended with a failure: %s", reply.id, exc)
            finally:
                await entry.done()

    async def privately(
        self, question: Question, respond: AsyncRespond, *, replace: bool = False
    ) -> None:
        """Answer only to the asker, in one piece (ephemeral messages cannot be edited)."""
        with self.accepted():
            refusal = await self._refusal(question)
            if refusal is not None:
                await _send(respond, refusal, replace=replace)
                return
            url = respond.response_url
            pending = PendingReply(question, response_url=url, replace_original=replace)
            entry = await self._journal.record(pending) if url else NoJournal.ENTRY
            try:
                await self._private(question, respond, replace=replace)
            finally:
                await entry.done()

    async def _private(self, question: Question, respond: AsyncRespond, *, replace: bool) -> None:
        async with aclosing(self._answers.answer(question)) as updates:
            final = await _final_or_closed(updates, respond, replace=replace)
        for index, message in enumerate(messages.answer_messages(final, private=True)):
            await _send(respond, message, replace=replace and index == 0)

    async def share(
        self, answer_id: str, target: ReplyTarget, user: str, respond: AsyncRespond
    ) -> None:
        """Post a private answer publicly, crediting the asker, and remove the private copy.

        Only the person it was shown to may share it, in the workspace it was shown in.
        """
        archived = await self._archive.load(target.workspace, answer_id)
        if archived is None:
            await _send(respond, messages.notice(notices.SHARE_EXPIRED))
            return
        if archived.asker.user != user:
            await _send(respond, messages.notice(notices.NOT_YOURS))
            return
        public = replace(archived.answer, cached_at=None)
        try:
            for message in messages.answer_messages(public, asked_by=user):
                await self._streamer.post(target, message)
        except SlackDeliveryError as exc:
            logger.warning("share refused in %s: %s", target.channel, exc.error)
            await _send(respond, messages.notice(notices.CANNOT_POST))
            return
        await respond(delete_original=True)

    async def question_of(self, workspace: str, answer_id: str) -> str | None:
        """Return the question an archived answer answered, if it is still kept."""
        archived = await self._archive.load(workspace, answer_id)
        return archived.answer.question if archived else None

    def accepted(self) -> _Tracked:
        """Count the current task as a question in flight while the block runs (shutdown
        waits for it, then closes it): from the ack on, before de-duplication too."""
        return _Tracked(self._in_flight)

    async def drain(self, grace_seconds: float) -> None:
        """Let answers in flight finish for grace_seconds, then close them with a notice."""
        await finish_or_cancel(self._in_flight, grace_seconds)


class _Tracked:
    """Registers the current task as an answer in flight for as long as the block runs."""

    def __init__(self, registry: set[asyncio.Task[Any]]) -> None:
        self._registry = registry
        self._task = asyncio.current_task()
        self._added = False  # nested blocks: the outermost one unregisters

    def __enter__(self) -> None:
        if self._task is not None and self._task not in self._registry:
            self._registry.add(self._task)
            self._added = True

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None and self._added:
            self._registry.discard(self._task)


async def _final_or_closed(
    updates: AsyncGenerator[AnswerUpdate, None], respond: AsyncRespond, *, replace: bool
) -> Answer:
    """The final answer; cut short (shutdown, a failure), the asker gets what was written.

    A private answer is one message sent at the end, so without this the last thing the
    asker saw would stay "Searching the docs…".
    """
    latest: Draft | None = None
    try:
        async for update in updates:
            if isinstance(update, Answer):
                return update
            latest = update
        raise RuntimeError("the answer stream ended without a final answer")
    except BaseException as exc:
        shown = latest.markdown if latest else None
        restarting = isinstance(exc, asyncio.CancelledError)
        await _send(respond, messages.interrupted(shown, restarting=restarting), replace=replace)
        if isinstance(exc, Exception):
            raise ReplyClosed("private answer closed after a failure") from exc
        raise


async def _send(respond: AsyncRespond, message: SlackMessage, *, replace: bool = False) -> None:
    response = await respond(
        **message.as_kwargs(), response_type="ephemeral", replace_original=replace
    )
    status = getattr(response, "status_code", 200)
    if status >= 300:
        raise SlackDeliveryError("response_url", f"HTTP {status}")
