"""The docs insights in Slack: the `/docs insights` reply, the App Home tab and the digest.

Question texts are people's words: escaped and defanged for mrkdwn, cut to a line each, and
only ever sent privately (ephemeral reply, a viewer's own Home tab) or to the digest channel.
Limits: a section holds 3,000 characters, a header 150, a Home tab 100 blocks.
"""

from __future__ import annotations

import math

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import notices
from bot.errors import GitBookError
from bot.insights.report import TOP_SHOWN, EscalationSummary, InsightsReport
from bot.slack.blocks import SlackMessage
from bot.slack.markdown import escape_mrkdwn

SECTION_LIMIT = 3000
QUESTION_SHOWN_LIMIT = 150
DIGEST_TOP = 5
CONTEXT_LABELS = {"server": "Slack", "site": "Docs site", "embed": "Embedded", "mcp": "MCP"}


def failure_text(error: GitBookError) -> str:
    """What went wrong, for people: never a stack trace, always what to do next."""
    return "⚠️ " + notices.insights_failure(error)


def report_message(report: InsightsReport) -> SlackMessage:
    """The private reply to `/docs insights`."""
    blocks = report_blocks(report, title=f"{notices.INSIGHTS_TITLE} · {report.label}")
    return _message(_fallback(report), blocks)


def digest_message(report: InsightsReport) -> SlackMessage:
    """The weekly digest: short, no chart."""
    title = f"{notices.DIGEST_TITLE} · {report.label}"
    return _message(
        _fallback(report), report_blocks(report, title=title, chart=False, top=DIGEST_TOP)
    )


def digest_failure_message(error: GitBookError) -> SlackMessage:
    """Posted instead of the digest when GitBook fails, so the team knows why it is missing."""
    text = notices.DIGEST_FAILED + notices.insights_failure(error)
    return _message(text, [_section(f"⚠️ {text}")])


def notice(text: str) -> SlackMessage:
    """A one-line private reply (refusal, usage, failure)."""
    return _message(text, [_section(escape_mrkdwn(text))])


def home_view(report: InsightsReport, command: str) -> View:
    """A viewer's Home tab: the last 7 days, and how to see more."""
    blocks = report_blocks(report, title=f"{notices.INSIGHTS_TITLE} · {report.label}")
    return View(type="home", blocks=[*blocks, _context(notices.home_hint(command))])


def home_failure_view(error: GitBookError) -> View:
    """A viewer's Home tab when GitBook fails."""
    return View(
        type="home",
        blocks=[HeaderBlock(text=notices.INSIGHTS_TITLE), _section(failure_text(error))],
    )


def not_available_view(command: str) -> View:
    """Everyone else's Home tab: how to ask, and that insights are not for them."""
    blocks = [_section(notices.home_intro(command)), _context(notices.INSIGHTS_NOT_AVAILABLE)]
    return View(type="home", blocks=blocks)


def report_blocks(
    report: InsightsReport, *, title: str, chart: bool = True, top: int = TOP_SHOWN
) -> list[Block]:
    """Header, summary, chart, top questions, unanswered and 👎, and where figures come from."""
    header = HeaderBlock(text=title[:150])
    if report.is_empty:
        return [
            header,
            _section(notices.insights_empty(report.label)),
        ]
    blocks: list[Block] = [header, _section(_summary(report))]
    if chart:
        heading = notices.questions_per("week" if report.weekly else "day")
        blocks.append(_section(f"{heading}\n```\n{report.chart()}\n```"))
    questions = [
        f"{i}. {_question(q.question)} — {q.count}" for i, q in enumerate(report.top[:top], 1)
    ]
    blocks.append(
        _section(_listing(notices.TOP_QUESTIONS_HEADING, questions, notices.NO_QUESTION_TEXTS))
    )
    gaps = [
        f"• {_question(g.question)} — {_gap_counts(g.no_answer, g.not_helpful)}"
        for g in report.gaps[:top]
    ]
    blocks.append(_section(_listing(notices.GAPS_HEADING, gaps, notices.NO_GAPS)))
    if report.escalations is not None:
        blocks.append(_section(_escalations(report.escalations, top)))
    return [*blocks, _context(notices.INSIGHTS_SOURCE_NOTE)]


def _escalations(summary: EscalationSummary, top: int) -> str:
    """How many questions went to people, and the ones still open (linked to their message)."""
    heading = f"{notices.ESCALATION_INSIGHTS_HEADING}\n" + notices.escalations_summary(
        summary.count, len(summary.still_open)
    )
    lines = [
        f"• {_question(e.question)}" + (f" — <{e.link}|{notices.OPEN_LINK}>" if e.link else "")
        for e in summary.still_open[:top]
    ]
    return _listing(heading, lines, notices.NO_OPEN_ESCALATIONS)


def _summary(report: InsightsReport) -> str:
    total = report.total
    text = notices.questions_asked(total)
    shares = [f"{CONTEXT_LABELS.get(c, c)} {_percent(n, total)}" for c, n in report.contexts]
    if shares:
        text += " · " + " · ".join(escape_mrkdwn(s) for s in shares)
    if report.previous_total is not None:
        text += "\n" + _trend(total, report.previous_total)
    return text


def _trend(now: int, before: int) -> str:
    if before == 0:
        return notices.no_trend_yet(now)
    change = round((now - before) / before * 100)
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return notices.trend(arrow, abs(change), before)


def _percent(part: int, whole: int) -> str:
    return f"{math.floor(part * 100 / whole + 0.5)}%" if whole else "0%"  # half up: 62.5 → 63


def _gap_counts(no_answer: int, not_helpful: int) -> str:
    parts = [notices.no_answer_count(no_answer)] if no_answer else []
    return ", ".join(parts + ([notices.not_helpful_count(not_helpful)] if not_helpful else []))


def _question(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > QUESTION_SHOWN_LIMIT:
        text = text[: QUESTION_SHOWN_LIMIT - 1] + "…"
    return escape_mrkdwn(text)


def _listing(title: str, lines: list[str], empty: str) -> str:
    text = title
    for line in lines or [empty]:
        if len(text) + 1 + len(line) > SECTION_LIMIT:
            break
        text += "\n" + line
    return text


def _fallback(report: InsightsReport) -> str:
    return notices.insights_fallback(report.label, report.total)


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:SECTION_LIMIT]))


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn[:3000])])


def _message(text: str, blocks: list[Block]) -> SlackMessage:
    return SlackMessage(text=text, blocks=[b.to_dict() for b in blocks])
