"""The docs team's report: what was asked, from where, and where the docs fell short.

Built from typed insights rows (``bot.insights.query``) and the bot's own records of
unanswered and 👎 questions (``bot.insights.gaps``); rendered to Slack elsewhere
(``bot.insights.blocks``). Nothing here does I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot import notices
from bot.answers.cache import normalize_question
from bot.insights.escalations import Escalation
from bot.insights.gaps import Gap, GapKind
from bot.insights.query import DayCount, QuestionCount

TOP_SHOWN = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"  # partial blocks, one to seven eighths of a cell
_FULL = "█"


@dataclass(frozen=True, slots=True)
class GapSummary:
    """One question that fell short, with how often it got no answer and a 👎."""

    question: str
    no_answer: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.no_answer + self.not_helpful


@dataclass(frozen=True, slots=True)
class EscalationSummary:
    """Questions handed to people in the range, and those of them still open (oldest first)."""

    count: int
    still_open: tuple[Escalation, ...]


def summarize_escalations(escalations: Sequence[Escalation]) -> EscalationSummary:
    """Count a range's escalations and keep the open ones."""
    still_open = tuple(sorted((e for e in escalations if e.still_open), key=lambda e: e.at))
    return EscalationSummary(len(escalations), still_open)


@dataclass(frozen=True, slots=True)
class InsightsReport:
    """Figures for one range, ready to render."""

    label: str  # "last 7 days", "week of 24 Nov"
    per_day: tuple[tuple[date, int], ...]  # every day of the range, oldest first
    contexts: tuple[tuple[str, int], ...]  # display context → questions, most first
    top: tuple[QuestionCount, ...]
    gaps: tuple[GapSummary, ...]
    weekly: bool = False
    previous_total: int | None = None  # the range before, for a trend
    escalations: EscalationSummary | None = None  # None: Ask a person is off

    @property
    def total(self) -> int:
        """Questions asked in the range."""
        return sum(count for _, count in self.per_day)

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing at all to show."""
        escalated = self.escalations is not None and self.escalations.count > 0
        return self.total == 0 and not self.top and not self.gaps and not escalated

    def chart(self) -> str:
        """Questions per day (or per week) as a Unicode bar chart."""
        if not self.weekly:
            return bar_chart([(day.strftime("%a %d %b"), n) for day, n in self.per_day])
        weeks: Counter[date] = Counter()
        for day, count in self.per_day:
            weeks[day - timedelta(days=day.weekday())] += count
        return bar_chart(
            [(notices.week_of(w.strftime("%d %b")), n) for w, n in sorted(weeks.items())]
        )


def build_report(
    label: str,
    days: Iterable[date],
    counts: Sequence[DayCount],
    top: Sequence[QuestionCount],
    gaps: Sequence[Gap],
    *,
    weekly: bool = False,
    previous_total: int | None = None,
    escalations: Sequence[Escalation] | None = None,
) -> InsightsReport:
    """Combine one range's rows and records into a report."""
    per_day: Counter[date] = Counter({day: 0 for day in days})
    contexts: Counter[str] = Counter()
    for row in counts:
        per_day[row.day] += row.count
        contexts[row.context] += row.count
    return InsightsReport(
        label=label,
        per_day=tuple(sorted(per_day.items())),
        contexts=tuple((c, n) for c, n in contexts.most_common() if n > 0),
        top=tuple(merge_questions(top)[:TOP_SHOWN]),
        gaps=tuple(summarize_gaps(gaps)[:TOP_SHOWN]),
        weekly=weekly,
        previous_total=previous_total,
        escalations=None if escalations is None else summarize_escalations(escalations),
    )


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def merge_questions(counts: Iterable[QuestionCount]) -> list[QuestionCount]:
    """Add up variants of one question (case, spacing, final `?`), most asked first."""
    totals: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for item in counts:
        key = normalize_question(item.question)
        totals[key] += item.count
        shown.setdefault(key, item.question)  # GitBook orders by count: the commonest wording
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], shown[kv[0]]))
    return [QuestionCount(shown[key], n) for key, n in ranked]


def summarize_gaps(gaps: Iterable[Gap]) -> list[GapSummary]:
    """Group records by question, most frequent (then most recent) first."""
    kinds: dict[str, Counter[GapKind]] = {}
    latest: dict[str, Gap] = {}
    for gap in sorted(gaps, key=lambda g: g.at):
        key = normalize_question(gap.question)
        kinds.setdefault(key, Counter())[gap.kind] += 1
        latest[key] = gap
    summaries = [
        (
            latest[key].at,
            GapSummary(latest[key].question, c[GapKind.NO_ANSWER], c[GapKind.NOT_HELPFUL]),
        )
        for key, c in kinds.items()
    ]
    summaries.sort(key=lambda pair: (-pair[1].total, -pair[0]))
    return [summary for _, summary in summaries]


def bar(value: int, maximum: int, width: int) -> str:
    """A bar of value out of maximum, width cells long at maximum, in eighths of a cell."""
    if value <= 0 or maximum <= 0:
        return ""
    eighths = max(1, round(value / maximum * width * 8))  # a non-zero value always shows
    full, rest = divmod(eighths, 8)
    return _FULL * full + (_EIGHTHS[rest] if rest else "")


def bar_chart(points: Sequence[tuple[str, int]], *, width: int = 20) -> str:
    """One line per point: label, count, bar (for a monospaced code block)."""
    if not points:
        return ""
    top = max(count for _, count in points)
    label_width = max(len(label) for label, _ in points)
    count_width = len(str(top))
    lines = [
        f"{label:<{label_width}}  {count:>{count_width}} {bar(count, top, width)}".rstrip()
        for label, count in points
    ]
    return "\n".join(lines)
