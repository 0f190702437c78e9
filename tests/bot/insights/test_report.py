"""The report model: merging questions, summarizing gaps, the Unicode bar chart."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.gaps import Gap, GapKind
from bot.insights.query import DayCount, QuestionCount
from bot.insights.report import (
    GapSummary,
    bar,
    bar_chart,
    build_report,
    days_between,
    merge_questions,
    summarize_gaps,
)

MONDAY = dt.date(2026, 11, 16)

# --- bars -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, "", id="zero-is-empty"),
        pytest.param(10, "██████████", id="maximum-is-full-width"),
        pytest.param(5, "█████", id="half"),
        pytest.param(1, "█", id="tenth"),
        pytest.param(3, "███", id="three-tenths"),
    ],
)
def test_bar_in_whole_cells(value: int, expected: str) -> None:
    assert bar(value, 10, width=10) == expected


def test_bar_uses_eighths_and_never_hides_a_small_value() -> None:
    assert bar(1, 16, width=4) == "▎"  # 1/16 of 4 cells = 2 eighths
    assert bar(5, 8, width=2) == "█▎"  # 10 eighths: one cell and two eighths
    assert bar(1, 10_000, width=20) == "▏"  # rounds to 0 eighths, shown as the thinnest bar


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 10_000), st.integers(1, 40))
def test_bar_length_is_proportional(value: int, extra: int, width: int) -> None:
    maximum = value + extra
    drawn = bar(value, maximum, width)
    eighths = sum(8 if c == "█" else " ▏▎▍▌▋▊▉".index(c) for c in drawn)
    assert 1 <= eighths <= width * 8
    assert abs(eighths - value / maximum * width * 8) <= 1 or eighths == 1


def test_bar_chart_aligns_labels_counts_and_bars() -> None:
    chart = bar_chart([("Mon 16 Nov", 4), ("Tue 17 Nov", 0), ("Wed 18 Nov", 12)], width=6)
    assert chart.splitlines() == [
        "Mon 16 Nov   4 ██",
        "Tue 17 Nov   0",
        "Wed 18 Nov  12 ██████",
    ]


def test_bar_chart_of_nothing_is_empty() -> None:
    assert bar_chart([]) == ""


# --- building the report --------------------------------------------------------------------------


def test_report_counts_every_day_of_the_range_and_shares_by_context() -> None:
    days = days_between(MONDAY, MONDAY + dt.timedelta(days=6))
    counts = [
        DayCount(MONDAY, "server", 3),
        DayCount(MONDAY, "site", 1),
        DayCount(MONDAY + dt.timedelta(days=2), "site", 4),
    ]
    report = build_report("last 7 days", days, counts, [], [])
    assert report.total == 8
    assert report.contexts == (("site", 5), ("server", 3))
    assert [n for _, n in report.per_day] == [4, 0, 4, 0, 0, 0, 0]
    assert report.chart().splitlines()[1] == "Tue 17 Nov  0"


def test_weekly_chart_folds_days_into_iso_weeks() -> None:
    days = days_between(MONDAY - dt.timedelta(days=1), MONDAY + dt.timedelta(days=7))
    counts = [
        DayCount(MONDAY - dt.timedelta(days=1), "site", 2),  # a Sunday: the week before
        DayCount(MONDAY, "site", 3),
        DayCount(MONDAY + dt.timedelta(days=6), "site", 1),
        DayCount(MONDAY + dt.timedelta(days=7), "site", 5),
    ]
    chart = build_report("last 3 months", days, counts, [], [], weekly=True).chart()
    labels = [(line.split()[2:4], line.split()[4]) for line in chart.splitlines()]
    assert labels == [(["09", "Nov"], "2"), (["16", "Nov"], "4"), (["23", "Nov"], "5")]


def test_empty_report() -> None:
    report = build_report("last 7 days", [MONDAY], [], [], [])
    assert report.is_empty and report.total == 0


def test_variants_of_a_question_are_added_up() -> None:
    merged = merge_questions(
        [
            QuestionCount("How do I rotate an API key?", 5),
            QuestionCount("Where is the audit log?", 4),
            QuestionCount("how do I rotate an  API key", 2),
        ]
    )
    assert merged == [
        QuestionCount("How do I rotate an API key?", 7),
        QuestionCount("Where is the audit log?", 4),
    ]


def test_gaps_are_grouped_by_question_most_frequent_first() -> None:
    gaps = [
        Gap(GapKind.NOT_HELPFUL, "How do I export?", 10.0),
        Gap(GapKind.NO_ANSWER, "Is there a dark mode?", 11.0),
        Gap(GapKind.NO_ANSWER, "is there a dark mode", 12.0),
        Gap(GapKind.NOT_HELPFUL, "Is there a dark mode?", 13.0),
        Gap(GapKind.NO_ANSWER, "Can I self-host?", 14.0),
    ]
    assert summarize_gaps(gaps) == [
        GapSummary("Is there a dark mode?", no_answer=2, not_helpful=1),
        GapSummary("Can I self-host?", no_answer=1, not_helpful=0),  # newer than the export one
        GapSummary("How do I export?", no_answer=0, not_helpful=1),
    ]
