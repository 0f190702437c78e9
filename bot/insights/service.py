"""Fetching the docs team's reports: GitBook's aggregate endpoint plus the bot's own records.

Raises ``GitBookError`` (HTTP errors such as 401/403 for a token without insights access,
timeouts, ``InsightsFormatError`` for an unreadable result); callers turn it into a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.gitbook.client import GitBookClient
from bot.insights.escalations import Escalation, EscalationLog
from bot.insights.gaps import DocGaps
from bot.insights.query import (
    DayCount,
    QuestionCount,
    Span,
    custom_range,
    daily_query,
    day_counts,
    parse_columns,
    question_counts,
    top_questions_query,
)
from bot.insights.report import InsightsReport, build_report, days_between, merge_questions

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def start_of_week(when: datetime) -> datetime:
    """Monday 00:00 UTC of when's ISO week."""
    day = when.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), datetime.min.time(), UTC)


class InsightsService:
    """Builds reports for a range (`/docs insights`, App Home) and for last week (digest)."""

    def __init__(
        self,
        gitbook: GitBookClient,
        gaps: DocGaps,
        *,
        clock: Clock = utc_now,
        escalations: EscalationLog | None = None,  # None: Ask a person is off
    ) -> None:
        self._gitbook = gitbook
        self._gaps = gaps
        self._clock = clock
        self._escalations = escalations

    async def report(self, span: Span) -> InsightsReport:
        """The report for one of GitBook's preset ranges, ending now."""
        now = self._clock()
        # The two aggregate queries are independent: ask them together.
        counts, top = await _both(self._daily(span.preset), self._top(span.preset))
        gaps = await self._gaps.between(now - timedelta(days=span.days), now)
        escalated = await self._escalated(now - timedelta(days=span.days), now)
        today = now.astimezone(UTC).date()
        days = days_between(today - timedelta(days=span.days - 1), today)
        return build_report(
            span.label, days, counts, top, gaps, weekly=span.weekly, escalations=escalated
        )

    async def last_week(self) -> InsightsReport:
        """The report for the last full ISO week (Monday to Sunday), with the week before."""
        end = start_of_week(self._clock())
        start, before = end - timedelta(days=7), end - timedelta(days=14)
        counts, top = await _both(
            self._daily(custom_range(before, end)), self._top(custom_range(start, end))
        )
        this_week = [c for c in counts if start.date() <= c.day < end.date()]
        previous = sum(c.count for c in counts if before.date() <= c.day < start.date())
        gaps = await self._gaps.between(start, end)
        escalated = await self._escalated(start, end)
        days = days_between(start.date(), end.date() - timedelta(days=1))
        label = f"week of {start.strftime('%d %b %Y')}"
        return build_report(
            label, days, this_week, top, gaps, previous_total=previous, escalations=escalated
        )

    async def _escalated(self, start: datetime, end: datetime) -> list[Escalation] | None:
        if self._escalations is None:
            return None
        return await self._escalations.between(start, end)

    async def top_questions(self, span: Span) -> list[QuestionCount]:
        """The questions asked most over span, variants merged, most asked first."""
        return merge_questions(await self._top(span.preset))

    async def _daily(self, range_: str | dict[str, str]) -> list[DayCount]:
        return day_counts(await self._rows(daily_query(range_)))

    async def _top(self, range_: str | dict[str, str]) -> list[QuestionCount]:
        return question_counts(await self._rows(top_questions_query(range_)))

    async def _rows(self, query: dict[str, Any]) -> list[dict[str, object]]:
        return parse_columns(await self._gitbook.aggregate_events(query))


async def _both(
    first: Awaitable[list[DayCount]], second: Awaitable[list[QuestionCount]]
) -> tuple[list[DayCount], list[QuestionCount]]:
    """Await both queries together; raise the first failure only once both have ended."""
    days, top = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(days, BaseException):
        raise days
    if isinstance(top, BaseException):
        raise top
    return days, top
