"""Insights queries (against GitBook's OpenAPI) and the column-oriented result parser."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InsightsFormatError
from bot.insights.query import (
    DayCount,
    QuestionCount,
    custom_range,
    daily_query,
    day_counts,
    parse_columns,
    parse_span,
    question_counts,
    top_questions_query,
)
from tests.fakes.gitbook import AGGREGATE_PATH
from tests.fakes.openapi import validate_request_body, validate_schema

# --- ranges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "preset", "days"),
    [
        pytest.param(None, "last7Days", 7, id="default"),
        pytest.param("", "last7Days", 7, id="empty"),
        pytest.param("7d", "last7Days", 7, id="7d"),
        pytest.param("30d", "last30Days", 30, id="30d"),
        pytest.param("3M", "last3Months", 90, id="3m-any-case"),
    ],
)
def test_span_maps_to_gitbook_preset(text: str | None, preset: str, days: int) -> None:
    span = parse_span(text)
    assert span is not None
    assert (span.preset, span.days) == (preset, days)
    assert span.weekly == (preset == "last3Months")


@pytest.mark.parametrize("text", ["1y", "7", "week", "24h"])
def test_unknown_span_is_none(text: str) -> None:
    assert parse_span(text) is None


# --- queries are valid SiteInsightsQueryEventsAggregation bodies ----------------------------------

START = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "range_", ["last7Days", "last30Days", "last3Months", custom_range(START, END)]
)
@pytest.mark.parametrize("build", [daily_query, top_questions_query])
def test_queries_match_the_request_schema(build: Any, range_: Any) -> None:
    validate_request_body(AGGREGATE_PATH, "post", build(range_))


def test_custom_range_is_utc_with_milliseconds() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    start = dt.datetime(2026, 11, 16, 1, tzinfo=paris)
    assert custom_range(start, END) == {
        "from": "2026-11-16T00:00:00.000Z",
        "to": "2026-11-23T00:00:00.000Z",
    }


def test_queries_count_only_questions() -> None:
    for query in (daily_query("last7Days"), top_questions_query("last7Days")):
        assert query["where"] == [{"column": "eventType", "values": ["ask_question"]}]


# --- the column parser ----------------------------------------------------------------------------


def _columns(rows: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    return {"columns": [{"column": n, "values": [r[n] for r in rows]} for n in names]}


cells = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5, unique=True).flatmap(
        lambda names: st.tuples(
            st.just(names),
            st.lists(st.fixed_dictionaries({n: cells for n in names}), max_size=8),
        )
    )
)
def test_columns_become_the_rows_they_came_from(
    case: tuple[list[str], list[dict[str, Any]]],
) -> None:
    names, rows = case
    assert parse_columns(_columns(rows, names)) == rows


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=12,
    )
)
def test_any_payload_parses_or_raises_insights_format_error(payload: Any) -> None:
    try:
        rows = parse_columns(payload)
    except InsightsFormatError:
        return
    assert isinstance(rows, list)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({}, id="no-columns"),
        pytest.param({"columns": [{"column": "eventsCount"}]}, id="no-values"),
        pytest.param({"columns": [{"values": [1]}]}, id="no-name"),
        pytest.param(
            {"columns": [{"column": "a", "values": [1]}, {"column": "b", "values": [1, 2]}]},
            id="different-lengths",
        ),
        pytest.param(
            {"columns": [{"column": "a", "values": [1]}, {"column": "a", "values": [2]}]},
            id="duplicate-column",
        ),
    ],
)
def test_malformed_results_raise_format_error(payload: Any) -> None:
    with pytest.raises(InsightsFormatError):
        parse_columns(payload)


def test_no_columns_is_no_rows() -> None:
    assert parse_columns({"columns": []}) == []


# --- typed rows -----------------------------------------------------------------------------------

DAILY = {
    "columns": [
        {"column": "datetime", "values": ["2026-11-20T00:00:00.000Z", "2026-11-21T01:00:00+02:00"]},
        {"column": "displayContext", "values": ["server", "site"]},
        {"column": "eventsCount", "values": [3, 2.0]},
    ]
}


def test_day_counts_are_typed() -> None:
    validate_schema("SiteInsightsQueryEventsAggregationResult", DAILY)
    assert day_counts(parse_columns(DAILY)) == [
        DayCount(dt.date(2026, 11, 20), "server", 3),
        DayCount(dt.date(2026, 11, 20), "site", 2),  # 01:00 at +02:00 is the 20th in UTC
    ]


def test_timestamps_without_an_offset_are_read_as_utc() -> None:
    row = {"datetime": "2026-11-21 23:30:00", "displayContext": "site", "eventsCount": 1}
    assert day_counts([row]) == [DayCount(dt.date(2026, 11, 21), "site", 1)]


def test_question_counts_skip_events_without_a_question() -> None:
    rows = parse_columns(
        {
            "columns": [
                {"column": "eventSearchQuery", "values": ["How do I  log in?", "", None]},
                {"column": "eventsCount", "values": [5, 2, 1]},
            ]
        }
    )
    assert question_counts(rows) == [QuestionCount("How do I log in?", 5)]


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({"displayContext": "site", "eventsCount": 1}, id="missing-datetime"),
        pytest.param(
            {"datetime": "yesterday", "displayContext": "site", "eventsCount": 1}, id="bad-date"
        ),
        pytest.param(
            {"datetime": 1700000000, "displayContext": "site", "eventsCount": 1}, id="number-date"
        ),
        pytest.param(
            {"datetime": "2026-11-20", "displayContext": "site", "eventsCount": -1}, id="negative"
        ),
        pytest.param(
            {"datetime": "2026-11-20", "displayContext": "site", "eventsCount": True}, id="bool"
        ),
        pytest.param(
            {"datetime": "2026-11-20", "displayContext": "site", "eventsCount": "3"}, id="text"
        ),
        pytest.param(
            {"datetime": "2026-11-20", "displayContext": "site", "eventsCount": float("nan")},
            id="nan",
        ),
    ],
)
def test_bad_cells_raise_format_error(row: dict[str, Any]) -> None:
    with pytest.raises(InsightsFormatError):
        day_counts([row])
