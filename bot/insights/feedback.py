"""👍/👎 on answers: recorded once per user per answer, as a structured log event.

GitBook's `ask_rate_response` insights event needs the id of an `/ai/response` answer,
which the site Ask endpoint does not return, so ratings stay with the bot (store + log).
A 👎 may carry a reason (written later, in a modal); with GITBOOK_FEEDBACK_COMMENTS it also
becomes a comment on the answer's first page source (``DocsComments``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from bot import notices
from bot.gitbook.client import GitBookClient
from bot.gitbook.comments import Line, comment_body
from bot.insights.gaps import DocGaps, GapKind
from bot.models import PageRef
from bot.store import Store

logger = logging.getLogger(__name__)

FEEDBACK_TTL_SECONDS = 30 * 24 * 3600
FORMAT_VERSION = 1
_SLACK_PEOPLE = re.compile(r"<(?:@[UW]|!subteam\^S)[A-Z0-9]+(?:\|[^>]*)?>")


def _key(answer_id: str, rater: str) -> str:
    return f"docsbot:feedback:{answer_id}:{rater}"


class FeedbackLog:
    """Ratings by answer and user."""

    def __init__(self, store: Store, gaps: DocGaps, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._gaps = gaps  # 👎 questions, for the docs team's insights

    async def record(
        self, *, answer_id: str, rater: str, helpful: bool, question: str | None
    ) -> bool:
        """Record a rating; False when this person already rated this answer."""
        value = json.dumps(
            {"v": FORMAT_VERSION, "helpful": helpful, "question": question, "at": self._clock()}
        )
        first = await self._store.add(_key(answer_id, rater), value, FEEDBACK_TTL_SECONDS)
        if first:
            logger.info("event=answer_feedback answer_id=%s helpful=%s", answer_id, helpful)
        if first and not helpful and question:
            await self._gaps.record(GapKind.NOT_HELPFUL, question)
        return first

    async def add_reason(self, *, answer_id: str, rater: str, reason: str) -> None:
        """Add what was wrong or missing to this person's 👎 (kept even if the 👎 expired)."""
        raw = await self._store.get(_key(answer_id, rater))
        data = _record(raw) or {"v": FORMAT_VERSION, "helpful": False, "question": None}
        data.update(reason=reason, reason_at=self._clock())
        await self._store.set(_key(answer_id, rater), json.dumps(data), FEEDBACK_TTL_SECONDS)
        logger.info("event=answer_feedback_reason answer_id=%s", answer_id)  # never the words


def _record(raw: str | None) -> dict[str, object] | None:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("v") == FORMAT_VERSION else None


def feedback_comment(
    question: str, reason: str, permalink: str | None, *, private: bool
) -> dict[str, Any]:
    """The comment body: the question, the reason and the conversation's link; no Slack user."""
    question, reason = _unnamed(question), _unnamed(reason)
    lines = [Line(notices.COMMENT_HEADING), Line(notices.COMMENT_QUESTION, question)]
    first, *more = _paragraphs(reason) or [""]
    lines += [Line(notices.COMMENT_REASON, first), *(Line("", part) for part in more)]
    if permalink:
        label = notices.COMMENT_PRIVATE if private else notices.COMMENT_CONVERSATION
        lines.append(Line(label, link=permalink))
    return comment_body(lines)


def _unnamed(text: str) -> str:
    """Text without Slack user or user-group mentions: the permalink is the only Slack id."""
    return _SLACK_PEOPLE.sub("@someone", text)


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class DocsComments:
    """Turns a written 👎 into a comment on the answer's first page source in GitBook."""

    def __init__(self, gitbook: GitBookClient) -> None:
        self._gitbook = gitbook

    async def post(
        self, page: PageRef, question: str, reason: str, permalink: str | None, *, private: bool
    ) -> None:
        """Post it; raises GitBookError (403 without write access, 404 when the page is gone)."""
        body = feedback_comment(question, reason, permalink, private=private)
        await self._gitbook.post_comment(page, body)
        logger.info("event=feedback_comment space=%s page=%s", page.space, page.page)
