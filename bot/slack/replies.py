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

from bot.answers.cache import AnswerArchive
from bot.answers.service import AnswerService, checked_question
from bot.errors import QuestionError, SlackDeliveryError
from bot.models import Answer, AnswerUpdate, Question
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.streamer import ReplyTarget, Streamer
from bot.slack.delivery.writer import UNREACHABLE_CHANNEL
from bot.slack.guards import UserRateLimit
from bot.tasks import finish_or_cancel

logger = logging.getLogger(__name__)

EXPIRED = "That answer is no longer available to share. Please ask again."
CANNOT_POST = (
    "I can't post in this channel. Invite me with `/invite @docsbot` and try again, "
    "or mention me in a channel I'm in."
)


def rate_limited(per_minute: int) -> str:
    """The notice for a user over the per-user rate limit."""
    return (
        f"You're asking faster than I can look things up (limit: {per_minute} a minute). "
        "Please try again shortly."
    )


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
    ) -> None:
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
            return messages.notice(rate_limited(self._per_minute))
        return None

    async def in_thread(
        self, question: Question, target: ReplyTarget, *, existing_ts: str | None = None
    ) -> None:
        """Answer in a thread (or DM), streaming into a new reply or into existing_ts."""
        refusal = await self._refusal(question)
        if refusal is not None:
            await self._streamer.post(target, refusal)
            return
        with self._tracked():
            async with aclosing(self._answers.answer(question)) as updates:
                try:
                    await self._streamer.stream(target, updates, existing_ts=existing_ts)
                except SlackDeliveryError as exc:
                    if exc.error in UNREACHABLE_CHANNEL:
                        # Tell the asker privately where Slack allows it; the boundary logs it.
                        await self._streamer.whisper(target, question.asker.user, CANNOT_POST)
                    raise

    async def privately(
        self, question: Question, respond: AsyncRespond, *, replace: bool = False
    ) -> None:
        """Answer only to the asker, in one piece (ephemeral messages cannot be edited)."""
        refusal = await self._refusal(question)
        if refusal is not None:
            await _send(respond, refusal, replace=replace)
            return
        with self._tracked():
            async with aclosing(self._answers.answer(question)) as updates:
                final = await _final(updates)
        for index, message in enumerate(messages.answer_messages(final, private=True)):
            await _send(respond, message, replace=replace and index == 0)

    async def share(
        self, answer_id: str, target: ReplyTarget, user: str, respond: AsyncRespond
    ) -> None:
        """Post a private answer publicly, crediting the asker, and remove the private copy."""
        answer = await self._archive.load(answer_id)
        if answer is None:
            await _send(respond, messages.notice(EXPIRED))
            return
        try:
            for message in messages.answer_messages(replace(answer, cached_at=None), asked_by=user):
                await self._streamer.post(target, message)
        except SlackDeliveryError as exc:
            logger.warning("share refused in %s: %s", target.channel, exc.error)
            await _send(respond, messages.notice(CANNOT_POST))
            return
        await respond(delete_original=True)

    async def question_of(self, answer_id: str) -> str | None:
        """Return the question an archived answer answered, if it is still kept."""
        answer = await self._archive.load(answer_id)
        return answer.question if answer else None

    def _tracked(self) -> _Tracked:
        return _Tracked(self._in_flight)

    async def drain(self, grace_seconds: float) -> None:
        """Let answers in flight finish for grace_seconds, then close them with a notice."""
        await finish_or_cancel(self._in_flight, grace_seconds)


class _Tracked:
    """Registers the current task as an answer in flight for as long as the block runs."""

    def __init__(self, registry: set[asyncio.Task[Any]]) -> None:
        self._registry = registry
        self._task = asyncio.current_task()

    def __enter__(self) -> None:
        if self._task is not None:
            self._registry.add(self._task)

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._registry.discard(self._task)


async def _final(updates: AsyncGenerator[AnswerUpdate, None]) -> Answer:
    async for update in updates:
        if isinstance(update, Answer):
            return update
    raise RuntimeError("the answer stream ended without a final answer")


async def _send(respond: AsyncRespond, message: SlackMessage, *, replace: bool = False) -> None:
    response = await respond(
        **message.as_kwargs(), response_type="ephemeral", replace_original=replace
    )
    status = getattr(response, "status_code", 200)
    if status >= 300:
        raise SlackDeliveryError("response_url", f"HTTP {status}")
