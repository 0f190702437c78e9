"""👍/👎 on answers: recorded once per user per answer, as a structured log event.

GitBook's `ask_rate_response` insights event needs the id of an `/ai/response` answer,
which the site Ask endpoint does not return, so ratings stay with the bot (store + log).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from bot.insights.gaps import DocGaps, GapKind
from bot.store import Store

logger = logging.getLogger(__name__)

FEEDBACK_TTL_SECONDS = 30 * 24 * 3600


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
        value = json.dumps({"v": 1, "helpful": helpful, "question": question, "at": self._clock()})
        key = f"docsbot:feedback:{answer_id}:{rater}"
        first = await self._store.add(key, value, FEEDBACK_TTL_SECONDS)
        if first:
            logger.info("event=answer_feedback answer_id=%s helpful=%s", answer_id, helpful)
        if first and not helpful and question:
            await self._gaps.record(GapKind.NOT_HELPFUL, question)
        return first
