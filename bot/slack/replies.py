"""Answering one question on one Slack surface: in a thread (streamed) or privately.

Handlers turn Slack payloads into a ``Question`` and a place to answer, then call
these; this is where the answer service's stream meets the streamer.

A little over the ~250-line guide: every way of answering (thread, private, auto-answer, a
resumed reply) shares one refusal, scope, journal and metrics path, kept together here.
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
from bot.insights.gaps import DocGaps, GapKind
from bot.metrics import Metrics
from bot.models import Answer, AnswerUpdate, Outcome, Question
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.streamer import ReplyTarget, Streamer
from bot.slack.delivery.writer import UNREACHABLE_CHANNEL
from bot.slack.guards import UserRateLimit
from bot.slack.private import PrivateReply, final_or_closed, final_silently, send_private
from bot.slack.recovery import Entry, Journal, NoJournal, PendingReply
from bot.slack.scopes import ChannelScopes
from bot.slack.tracking import Counted, Tracked
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
        metrics: Metrics,
        scopes: ChannelScopes | None = None,
        gaps: DocGaps | None = None,
        offer_people: bool = False,
        journal: Journal | None = None,
    ) -> None:
        self._journal = journal or NoJournal()  # where replies in flight are recorded
        self._answers = answers
        self._offer_people = offer_people  # ESCALATION_CHANNEL is set: answers show Ask a person
        self._streamer = streamer
        self._archive = archive
        self._rate_limit = rate_limit
        self._per_minute = per_minute
        self._scopes = scopes
        self._metrics = metrics
        self._gaps = gaps  # unanswered auto-answers (the answer service records "no answer")
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def _refusal(self, question: Question) -> SlackMessage | None:
        try:
            checked_question(question.text)
        except QuestionError as exc:
            return messages.error_notice(exc)
        if not await self._rate_limit.allow(question.asker.workspace, question.asker.user):
            return messages.notice(notices.rate_limited(self._per_minute))
        return None

    async def _scoped(self, question: Question, channel: str | None) -> Question:
        """The question limited to its channel's site spaces (`/docs scope`), if any."""
        if question.scope or self._scopes is None or not channel:
            return question
        scope = await self._scopes.get(question.asker.workspace, channel)
        return replace(question, scope=scope) if scope else question

    async def in_thread(
        self, question: Question, target: ReplyTarget, *, existing_ts: str | None = None
    ) -> None:
        """Answer in a thread (or DM), streaming into a new reply or into existing_ts."""
        with self.accepted():
            question = await self._scoped(question, target.channel)
            refusal = await self._refusal(question)
            if refusal is not None:
                self._count_refusal(question)
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
        with self._counted(question) as flight:
            async with aclosing(self._updates(question)) as updates:
                try:
                    final = await self._streamer.stream(
                        target,
                        flight.timed(updates),
                        existing_ts=existing_ts,
                        on_posted=entry.posted,
                    )
                    flight.ended(final)
                except SlackDeliveryError as exc:
                    if exc.error in UNREACHABLE_CHANNEL:
                        # Tell the asker privately where Slack allows it; the boundary logs it.
                        user = question.asker.user
                        await self._streamer.whisper(target, user, notices.CANNOT_POST)
                    raise
                except Exception as exc:
                    # The streamer closed the reply with a notice; the boundary only logs.
                    raise ReplyClosed("reply closed after a failure") from exc

    async def resume(self, reply: PendingReply, entry: Entry) -> None:
        """Finish a reply a stopped process left: into its message if it had one, else anew."""
        with self.accepted():
            try:
                if reply.response_url is not None:
                    send = PrivateReply(AsyncRespond(response_url=reply.response_url), None)
                    await self._private(reply.question, send, replace=reply.replace_original)
                elif reply.target is not None:
                    await self._stream(reply.question, reply.target, reply.ts, entry)
            except BotError as exc:
                logger.warning("resumed reply %s ended with a failure: %s", reply.id, exc)
            finally:
                await entry.done()

    async def privately(
        self,
        question: Question,
        respond: AsyncRespond,
        *,
        replace: bool = False,
        channel: str | None = None,
        thread_ts: str | None = None,
        share_thread: str | None = None,
    ) -> None:
        """Answer only to the asker, in one piece (ephemeral messages cannot be edited).

        channel: where it was asked (its scope applies); thread_ts: the thread the private
        answer shows in; share_thread: the thread its Share button posts in (else Share
        posts at the channel's top level).
        """
        with self.accepted():
            question = await self._scoped(question, channel)
            send = PrivateReply(respond, thread_ts)
            refusal = await self._refusal(question)
            if refusal is not None:
                self._count_refusal(question)
                await send(refusal, replace=replace)
                return
            url = respond.response_url
            pending = PendingReply(question, response_url=url, replace_original=replace)
            entry = await self._journal.record(pending) if url else NoJournal.ENTRY
            try:
                await self._private(question, send, replace=replace, share_thread=share_thread)
            finally:
                await entry.done()

    async def _private(
        self,
        question: Question,
        send: PrivateReply,
        *,
        replace: bool,
        share_thread: str | None = None,
    ) -> None:
        with self._counted(question) as flight:
            async with aclosing(self._updates(question)) as updates:
                final = await final_or_closed(flight.timed(updates), send, replace=replace)
            flight.ended(final)
        replies = messages.answer_messages(final, private=True, share_thread=share_thread)
        for index, message in enumerate(replies):
            await send(message, replace=replace and index == 0)

    async def only_if_answered(self, question: Question, target: ReplyTarget) -> Outcome | None:
        """Answer in target's thread only with a real answer; otherwise post nothing at all.

        For people who did not ask the bot (auto-answer channels): no placeholder, no
        refusal, no "no answer", no error notice. Returns how it ended (None: refused).
        """
        with self.accepted():
            return await self._only_if_answered(question, target)

    async def _only_if_answered(self, question: Question, target: ReplyTarget) -> Outcome | None:
        question = await self._scoped(question, target.channel)
        if await self._refusal(question) is not None:
            logger.info(
                "auto-answer skipped in %s: refused (empty, too long or rate limited)",
                target.channel,
            )
            return None
        with self._counted(question) as flight:
            async with aclosing(self._updates(question)) as updates:
                final = await final_silently(flight.timed(updates))
            flight.ended(final)
        if final.outcome is not Outcome.ANSWERED:
            if final.outcome is Outcome.FAILED and self._gaps is not None:
                # Nobody was told: the docs team still learns the question went unanswered.
                await self._gaps.record(GapKind.NO_ANSWER, question.text)
            logger.info("auto-answer stayed silent in %s: %s", target.channel, final.outcome)
            return final.outcome
        for message in messages.answer_messages(final):
            await self._streamer.post(target, message)
        return final.outcome

    def _updates(self, question: Question) -> AsyncGenerator[AnswerUpdate, None]:
        updates = self._answers.answer(question)
        return _offering_people(updates) if self._offer_people else updates

    async def share(
        self, answer_id: str, target: ReplyTarget, user: str, respond: AsyncRespond
    ) -> None:
        """Post a private answer publicly, crediting the asker, and remove the private copy.

        Only the person it was shown to may share it, in the workspace it was shown in.
        """
        archived = await self._archive.load(target.workspace, answer_id)
        if archived is None:
            await send_private(respond, messages.notice(notices.SHARE_EXPIRED))
            return
        if archived.asker.user != user:
            await send_private(respond, messages.notice(notices.NOT_YOURS))
            return
        public = replace(archived.answer, cached_at=None)
        try:
            for message in messages.answer_messages(public, asked_by=user):
                await self._streamer.post(target, message)
        except SlackDeliveryError as exc:
            logger.warning("share refused in %s: %s", target.channel, exc.error)
            await send_private(respond, messages.notice(notices.CANNOT_POST))
            return
        await respond(delete_original=True)

    async def question_of(self, workspace: str, answer_id: str) -> str | None:
        """Return the question an archived answer answered, if it is still kept."""
        archived = await self._archive.load(workspace, answer_id)
        return archived.answer.question if archived else None

    def accepted(self) -> Tracked:
        """Count the current task as a question in flight while the block runs (shutdown
        waits for it, then closes it): from the ack on, before de-duplication too."""
        return Tracked(self._in_flight)

    def _counted(self, question: Question) -> Counted:
        return Counted(self._metrics, question.surface)

    def _count_refusal(self, question: Question) -> None:
        self._metrics.questions.labels(surface=question.surface, outcome="refused").inc()

    async def drain(self, grace_seconds: float) -> None:
        """Let answers in flight finish for grace_seconds, then close them with a notice."""
        await finish_or_cancel(self._in_flight, grace_seconds)


async def _offering_people(
    updates: AsyncGenerator[AnswerUpdate, None],
) -> AsyncGenerator[AnswerUpdate, None]:
    """The same updates, the final answer marked to show Ask a person."""
    async with aclosing(updates) as inner:
        async for update in inner:
            yield replace(update, offer_people=True) if isinstance(update, Answer) else update
