"""Rendering the insights for Slack: safe question texts, Block Kit limits, clear failures."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import GitBookError, GitBookHTTPError, GitBookTimeout, InsightsFormatError
from bot.insights.blocks import (
    digest_message,
    failure_text,
    home_failure_view,
    home_view,
    not_available_view,
    report_message,
)
from bot.insights.escalations import Escalation, State
from bot.insights.gaps import Gap, GapKind
from bot.insights.query import DayCount, QuestionCount
from bot.insights.report import InsightsReport, build_report, days_between
from tests.fakes.slack_api import block_problem, visible_text

DAY = dt.date(2026, 11, 20)
HOSTILE = "<!channel> why is <@U0BOSS> & @here <https://evil.example|click>?"


def _report(
    questions: list[str], *, previous_total: int | None = None, total: int = 10
) -> InsightsReport:
    return build_report(
        "last 7 days",
        days_between(DAY - dt.timedelta(days=6), DAY),
        [DayCount(DAY, "server", total)],
        [QuestionCount(q, 10 - i) for i, q in enumerate(questions)],
        [Gap(GapKind.NO_ANSWER, q, float(i)) for i, q in enumerate(questions)],
        previous_total=previous_total,
    )


def test_question_texts_notify_nobody_and_break_no_markup() -> None:
    message = report_message(_report([HOSTILE]))
    text = visible_text(message.as_kwargs())
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https://" not in text
    assert "&amp;" in text and "@\u200bhere" in text


def test_long_and_many_questions_fit_slacks_limits() -> None:
    questions = [f"question {i} " + "x" * 3000 for i in range(40)]
    message = report_message(_report(questions))
    assert block_problem(message.blocks) is None
    assert all(len(line) < 200 for line in visible_text(message.as_kwargs()).splitlines())
    view = home_view(_report(questions), "/docs").to_dict()
    assert view["type"] == "home" and block_problem(view["blocks"], max_blocks=100) is None


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        pytest.param(8, "▲ 25% vs the week before (8)", id="up"),
        pytest.param(20, "▼ 50% vs the week before (20)", id="down"),
        pytest.param(10, "= 0% vs the week before (10)", id="flat"),
        pytest.param(0, "The week before: none", id="from-nothing"),
    ],
)
def test_digest_shows_the_trend(previous: int, expected: str) -> None:
    text = visible_text(digest_message(_report(["Q?"], previous_total=previous)).as_kwargs())
    assert expected in text
    assert "Questions per day" not in text  # the digest is short: no chart


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(GitBookHTTPError(401, "no"), "refused the bot's token (HTTP 401)", id="401"),
        pytest.param(GitBookHTTPError(403, "no"), "refused the bot's token (HTTP 403)", id="403"),
        pytest.param(GitBookHTTPError(404, "no"), "did not find the site", id="404"),
        pytest.param(GitBookHTTPError(429, "slow down"), "rate limiting", id="429"),
        pytest.param(GitBookHTTPError(502, "bad gateway"), "right now", id="502"),
        pytest.param(GitBookTimeout("slow"), "right now", id="timeout"),
        pytest.param(InsightsFormatError("bad"), "unexpected format", id="format"),
    ],
)
def test_failures_read_as_what_to_do(error: GitBookError, expected: str) -> None:
    text = failure_text(error)
    assert expected in text and text.startswith("⚠️ ")
    view = home_failure_view(error).to_dict()
    assert expected in visible_text(view)


def test_others_home_tab_shows_how_to_ask_and_no_figures() -> None:
    view = not_available_view("/ask").to_dict()
    text = visible_text(view)
    assert "`/ask your question`" in text and "not available to you" in text
    assert block_problem(view["blocks"]) is None


def test_escalations_are_counted_and_the_open_ones_listed() -> None:
    def escalation(question: str, state: State, link: str | None) -> Escalation:
        return Escalation("T1", question, question, "U1", "C1", None, False, 1.0, state, link=link)

    report = build_report(
        "last 7 days",
        days_between(DAY - dt.timedelta(days=6), DAY),
        [DayCount(DAY, "server", 3)],
        [],
        [],
        escalations=[
            escalation("Resolved one?", State.RESOLVED, "https://x.slack.com/archives/C9/p1"),
            escalation(HOSTILE, State.OPEN, "https://x.slack.com/archives/C9/p2"),
        ],
    )
    message = report_message(report).as_kwargs()
    assert block_problem(message["blocks"]) is None
    text = visible_text(message)
    assert "2 questions handed to people · 1 still open" in text
    assert "<https://x.slack.com/archives/C9/p2|open>" in text
    assert "Resolved one?" not in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text  # escaped, notifies nobody


def test_without_escalation_the_report_has_no_escalation_section() -> None:
    text = visible_text(report_message(_report(["q?"])).as_kwargs())
    assert "Escalated to people" not in text
