"""Plain data shared by the GitBook client, the answer service and the Slack side."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class PageSource:
    """A docs page GitBook used, by ids only (no title, no URL)."""

    space: str
    revision: str
    page: str


@dataclass(frozen=True, slots=True)
class RecordSource:
    """An ingested record GitBook used; it carries its own title and URL."""

    title: str
    url: str


Source = PageSource | RecordSource


@dataclass(frozen=True, slots=True)
class AnswerSnapshot:
    """One full snapshot of the answer so far (GitBook sends snapshots, not deltas)."""

    markdown: str | None
    sources: tuple[Source, ...] = ()
    followups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageRef:
    """Where a page lives in GitBook: what a comment on it needs (space and page ids)."""

    space: str
    page: str


@dataclass(frozen=True, slots=True)
class SourceLink:
    """A source resolved to a title and a published URL (and, for a page, its ids)."""

    title: str
    url: str
    page: PageRef | None = None


class Outcome(StrEnum):
    """How a question ended."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Draft:
    """The answer so far, while GitBook is still writing it."""

    markdown: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The final state of a question: an answer, no answer, or an error notice."""

    question: str
    outcome: Outcome
    markdown: str = ""
    sources: tuple[SourceLink, ...] = ()
    followups: tuple[str, ...] = ()
    notice: str | None = None
    cached_at: float | None = None
    search_url: str | None = None
    answer_id: str = field(default="")
    offer_people: bool = False  # show "Ask a person" (set by the Slack side, never stored)

    @property
    def top_page(self) -> PageRef | None:
        """The first page source's ids (sources are ordered by relevance), if any."""
        return next((s.page for s in self.sources if s.page is not None), None)


AnswerUpdate = Draft | Answer


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked, and in which conversation, as opaque ids of the chat platform."""

    workspace: str
    user: str
    conversation: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the answer service receives it."""

    text: str
    asker: Asker
    refresh: bool = False
    goal: str | None = None
    surface: str = "unknown"  # where it was asked (mention, dm, command, button…), for metrics
    # The site spaces (GitBook site-space ids) the question is limited to; () is the whole
    # site. Plain ids, so the answer service stays free of the chat platform.
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteSpace:
    """A space published on the docs site: the URL its pages live under, its title (for people)."""

    id: str
    space_id: str
    published_url: str | None
    default: bool
    title: str = ""
