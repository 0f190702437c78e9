"""Insights aggregation queries, and their column-oriented results parsed once into typed rows.

GitBook's aggregate endpoint (`aggregateSiteEvents`, docs/gitbook.md §10) answers with
parallel arrays, one per selected column::

    {"columns": [{"column": "eventSearchQuery", "values": ["How do I…", "Where is…"]},
                 {"column": "eventsCount", "values": [12, 3]}]}

``parse_columns`` checks that shape and turns it into rows (one mapping per index);
``day_counts`` and ``question_counts`` turn rows into the records the report is built from.
Every malformed result raises ``InsightsFormatError``, never a bare KeyError or TypeError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.errors import InsightsFormatError

Row = Mapping[str, object]
QueryRange = str | dict[str, str]  # a SiteInsightsQueryRange: a preset name or {from, to}

TOP_QUESTIONS_FETCHED = 50  # more than shown: variants of one question are merged afterwards
_DAY = {"column": "datetime", "interval": "day"}
_CONTEXT = {"column": "displayContext"}
_QUERY = {"column": "eventSearchQuery"}  # the question of an `ask_question` event
_COUNT = {"column": "eventsCount"}
_ASKED = {"column": "eventType", "values": ["ask_question"]}


@dataclass(frozen=True, slots=True)
class Span:
    """A report range as people type it (`7d`) and as GitBook names it (`last7Days`)."""

    name: str
    preset: str
    days: int
    label: str
    weekly: bool = False  # chart one bar per week instead of per day


SPANS = {
    span.name: span
    for span in (
        Span("7d", "last7Days", 7, "last 7 days"),
        Span("30d", "last30Days", 30, "last 30 days"),
        Span("3m", "last3Months", 90, "last 3 months", weekly=True),
    )
}
DEFAULT_SPAN = SPANS["7d"]


def parse_span(text: str | None) -> Span | None:
    """Return the span named by text (`7d`, `30d`, `3m`; empty means 7d), or None."""
    if not text:
        return DEFAULT_SPAN
    return SPANS.get(text.strip().lower())


def timestamp(when: datetime) -> str:
    """Format an aware datetime as a GitBook Timestamp (UTC, milliseconds, `Z`)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def custom_range(start: datetime, end: datetime) -> dict[str, str]:
    """Return a SiteInsightsQueryRangeCustom from start to end."""
    return {"from": timestamp(start), "to": timestamp(end)}


def daily_query(range_: QueryRange) -> dict[str, Any]:
    """Questions asked per UTC day and display context (site, server = this bot, …)."""
    return {
        "range": range_,
        "select": [_DAY, _CONTEXT, _COUNT],
        "groupBy": [_DAY, _CONTEXT],
        "where": [_ASKED],
        "order": {"by": _DAY, "direction": "asc"},
        "limit": 1000,  # at most 92 days × 4 contexts
    }


def top_questions_query(
    range_: QueryRange, *, limit: int = TOP_QUESTIONS_FETCHED
) -> dict[str, Any]:
    """The questions asked most often, with how many times each was asked."""
    return {
        "range": range_,
        "select": [_QUERY, _COUNT],
        "groupBy": [_QUERY],
        "where": [_ASKED],
        "order": {"by": _COUNT, "direction": "desc"},
        "limit": limit,
    }


@dataclass(frozen=True, slots=True)
class DayCount:
    """Questions asked on one UTC day from one display context."""

    day: date
    context: str
    count: int


@dataclass(frozen=True, slots=True)
class QuestionCount:
    """How many times one question was asked."""

    question: str
    count: int


def parse_columns(data: object) -> list[dict[str, object]]:
    """Turn a SiteInsightsQueryEventsAggregationResult into rows, one per index."""
    if not isinstance(data, Mapping) or not isinstance(data.get("columns"), list):
        raise InsightsFormatError("the aggregate result has no `columns` list")
    columns: dict[str, Sequence[object]] = {}
    for column in data["columns"]:
        name, values = _column(column)
        if name in columns:
            raise InsightsFormatError(f"column {name!r} appears twice")
        columns[name] = values
    if len({len(values) for values in columns.values()}) > 1:
        raise InsightsFormatError("the aggregate result's columns have different lengths")
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def _column(column: object) -> tuple[str, Sequence[object]]:
    if not isinstance(column, Mapping):
        raise InsightsFormatError("a column is not an object")
    name, values = column.get("column"), column.get("values")
    if not isinstance(name, str) or not isinstance(values, list):
        raise InsightsFormatError("a column lacks its name or its list of values")
    return name, values


def day_counts(rows: Sequence[Row]) -> list[DayCount]:
    """Read rows of `daily_query`."""
    return [
        DayCount(_day(_cell(r, "datetime")), _context(_cell(r, "displayContext")), _count(r))
        for r in rows
    ]


def question_counts(rows: Sequence[Row]) -> list[QuestionCount]:
    """Read rows of `top_questions_query`, leaving out events without a question."""
    counts = [QuestionCount(_text(_cell(r, "eventSearchQuery")), _count(r)) for r in rows]
    return [c for c in counts if c.question]


def _cell(row: Row, name: str) -> object:
    if name not in row:
        raise InsightsFormatError(f"the aggregate result has no {name!r} column")
    return row[name]


def _count(row: Row) -> int:
    value = _cell(row, "eventsCount")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InsightsFormatError(f"eventsCount {value!r} is not a number")
    if not math.isfinite(value) or value < 0:
        raise InsightsFormatError(f"eventsCount {value!r} is not a count")
    return round(value)


def _day(value: object) -> date:
    if not isinstance(value, str):
        raise InsightsFormatError(f"datetime {value!r} is not a timestamp")
    try:
        when = datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InsightsFormatError(f"datetime {value!r} is not a timestamp") from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()


def _context(value: object) -> str:
    return value if isinstance(value, str) and value else "unknown"


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InsightsFormatError(f"eventSearchQuery {value!r} is not text")
    return " ".join(value.split())
