"""The answer service: a question in, a stream of drafts and one final answer out.

It knows GitBook (through the client) and nothing of Slack. Every question ends in
exactly one ``Answer``: answered, no answer, or failed with a notice for the asker.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from bot import notices
from bot.answers.cache import AnswerArchive, AnswerCache
from bot.answers.flight import Flight
from bot.answers.history import ThreadHistory
from bot.errors import EmptyQuestion, GitBookError, QuestionTooLong
from bot.gitbook.client import QUESTION_LIMIT, GitBookClient
from bot.gitbook.directory import SiteDirectory
from bot.gitbook.links import rewrite_links
from bot.insights.events import Insights
from bot.insights.gaps import DocGaps, GapKind
from bot.metrics import Metrics
from bot.models import Answer, AnswerSnapshot, AnswerUpdate, Draft, Outcome, Question
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

RETRY_DELAY_CAP_SECONDS = 2.0
# Ask streams open at once, below the GitBook client's pool (500 connections): past the
# pool, requests queue inside httpcore, whose bookkeeping per request grows with the queue
# (encode/httpcore#1035) until the event loop stalls. Here they wait in line, first come
# first served, and look-ups and insights keep connections of their own.
ASK_STREAMS_AT_ONCE = 400


def checked_question(text: str) -> str:
    """Return the question ready to send, or raise a QuestionError."""
    question = text.strip()
    if not question:
        raise EmptyQuestion("empty question")
    if len(question) > QUESTION_LIMIT:
        raise QuestionTooLong(len(question), QUESTION_LIMIT)
    return question


@dataclass
class _Attempt:
    """What one Ask stream produced."""

    last: AnswerSnapshot | None = None
    error: GitBookError | None = None
    # Loop time of the first Ask: a retry keeps its deadline (ANSWER_DEADLINE_SECONDS).
    started_at: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    @property
    def shown(self) -> bool:
        return self.last is not None and bool(self.last.markdown)


def new_answer_id() -> str:
    """A fresh, unguessable id for one delivered answer."""
    return uuid.uuid4().hex[:20]


class AnswerService:
    """Answers questions from the cache or from GitBook's Ask stream."""

    def __init__(
        self,
        gitbook: GitBookClient,
        directory: SiteDirectory,
        cache: AnswerCache,
        archive: AnswerArchive,
        insights: Insights,
        history: ThreadHistory,
        tasks: BackgroundTasks,
        *,
        gaps: DocGaps | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or Metrics()
        self._gitbook = gitbook
        self._directory = directory
        self._cache = cache
        self._archive = archive
        self._insights = insights
        self._history = history
        self._tasks = tasks
        self._gaps = gaps  # where questions without an answer are recorded for the docs team
        self._flights: dict[str, Flight] = {}
        self._ask_slots = asyncio.Semaphore(ASK_STREAMS_AT_ONCE)

    async def answer(self, question: Question) -> AsyncGenerator[AnswerUpdate, None]:
        """Yield drafts as GitBook writes, then the final answer (raises QuestionError first)."""
        question = await self._with_context(replace(question, text=checked_question(question.text)))
        self._insights.question_asked(question)
        final = await self._cached(question)
        if final is None:
            async with aclosing(self._flight(question).follow()) as updates:
                async for update in updates:
                    if isinstance(update, Answer):
                        final = update
                        break
                    yield update
        assert final is not None  # a flight ends with an answer or raises
        # Each delivery gets its own id: a cached or shared answer's buttons belong to its asker.
        final = replace(final, answer_id=new_answer_id())
        await self._archive.save(final, question.asker)
        await self._remember(question, final)
        if final.outcome is Outcome.NO_ANSWER and self._gaps is not None:
            await self._gaps.record(GapKind.NO_ANSWER, question.text)
        yield final

    def _flight(self, question: Question) -> Flight:
        # Questions with thread context or a Refresh are their own; identical others share.
        shareable = not (question.goal or question.refresh)
        key = self._cache.key(question.text, question.scope) if shareable else uuid.uuid4().hex
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = Flight()
            flight.run_by(
                self._tasks.spawn(self._fly(question, flight, key), name="answers.flight")
            )
        return flight

    async def _fly(self, question: Question, flight: Flight, key: str) -> None:
        try:
            attempt = _Attempt()
            async for draft in self._ask_with_retry(question, attempt):
                flight.publish(draft)
            final = await self._finish(question, attempt)
            # An answer shaped by a thread's context must not be served to other threads.
            if final.outcome is Outcome.ANSWERED and not question.goal:
                await self._cache.put(final, question.scope)
            flight.land(final)
        except BaseException as exc:
            flight.fail(exc)
            raise
        finally:
            self._flights.pop(key, None)

    async def _with_context(self, question: Question) -> Question:
        conversation = question.asker.conversation
        # A Refresh re-asks a cached, context-free answer: it stays context-free.
        if conversation is None or question.refresh:
            return question
        return replace(question, goal=await self._history.goal(conversation))

    async def _cached(self, question: Question) -> Answer | None:
        # A follow-up in a conversation depends on its context: never answer it from cache.
        if question.refresh or question.goal:
            return None
        cached = await self._cache.get(question.text, question.scope)
        if cached is not None:
            self._metrics.cache_hits.inc()
        return cached

    async def _remember(self, question: Question, final: Answer) -> None:
        conversation = question.asker.conversation
        if conversation is not None and final.outcome is Outcome.ANSWERED:
            await self._history.remember(conversation, question.text, final.markdown)

    async def _ask_with_retry(self, question: Question, attempt: _Attempt) -> AsyncIterator[Draft]:
        async for draft in self._ask_once(question, attempt):
            yield draft
        error = attempt.error
        if error is not None and _worth_retrying(error) and not attempt.shown:
            logger.info("retrying Ask once after %s", type(error).__name__)
            await asyncio.sleep(_retry_delay(error))
            attempt.error = None
            async for draft in self._ask_once(question, attempt):
                yield draft

    async def _ask_once(self, question: Question, attempt: _Attempt) -> AsyncIterator[Draft]:
        # The body is exactly what the contract promises GitBook: question, scope, and
        # context where a thread gives one; visitor ids travel only in insights events.
        stream = self._gitbook.ask(
            question.text, goal=question.goal, scope=question.scope, started_at=attempt.started_at
        )
        asked_at = time.monotonic()
        try:
            async with self._ask_slots, aclosing(stream) as snapshots:
                async for snapshot in snapshots:
                    if attempt.last is None:
                        self._metrics.gitbook_first_chunk.observe(time.monotonic() - asked_at)
                    attempt.last = snapshot
                    if snapshot.markdown:
                        yield Draft(rewrite_links(snapshot.markdown, self._directory.known_link))
        except GitBookError as exc:
            logger.warning("Ask failed: %s", exc)
            attempt.error = exc

    async def _finish(self, question: Question, attempt: _Attempt) -> Answer:
        last = attempt.last or AnswerSnapshot(markdown=None)
        markdown = (last.markdown or "").strip()
        await self._directory.resolve_links(markdown, last.sources)
        answer = Answer(
            question=question.text,
            outcome=_outcome(markdown, attempt.error),
            markdown=rewrite_links(markdown, self._directory.known_link),
            sources=await self._directory.resolve_sources(last.sources),
            followups=last.followups[:3],
            notice=notices.for_error(attempt.error) if attempt.error else None,
            answer_id=new_answer_id(),
        )
        if answer.outcome is Outcome.NO_ANSWER:
            answer = replace(answer, search_url=await self._search_url(question.text))
        return answer

    async def _search_url(self, text: str) -> str | None:
        site = await self._directory.site_url()
        return f"{site.rstrip('/')}/?q={quote(text)}" if site else None


def _outcome(markdown: str, error: GitBookError | None) -> Outcome:
    if error is not None:
        return Outcome.FAILED
    return Outcome.ANSWERED if markdown else Outcome.NO_ANSWER


def _worth_retrying(error: GitBookError) -> bool:
    # A rate limit that resets later than we would wait is not worth a second call.
    too_far = error.retry_after is not None and error.retry_after > RETRY_DELAY_CAP_SECONDS
    return error.transient and not too_far


def _retry_delay(error: GitBookError) -> float:
    wait = error.retry_after if error.retry_after is not None else 0.5
    return min(wait, RETRY_DELAY_CAP_SECONDS)
