"""Suggested prompts for the assistant pane: what the docs team sees, what everyone else sees.

The docs team (``INSIGHTS_VIEWERS``) gets the site's most-asked questions of the last 7 days
from GitBook insights, fetched at most every few minutes. Everyone else, and the docs team
when insights fail, gets ``SUGGESTED_PROMPTS`` or the built-in starters: question texts from
insights are other people's questions and are never shown outside the docs team.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot import notices
from bot.errors import GitBookError
from bot.insights.access import InsightsAccess
from bot.insights.query import DEFAULT_SPAN
from bot.insights.service import InsightsService
from bot.settings import MAX_SUGGESTED_PROMPTS as MAX_PROMPTS

logger = logging.getLogger(__name__)

TOP_QUESTIONS_TTL_SECONDS = 300.0


class SuggestedPrompts:
    """Up to four prompts for one person."""

    def __init__(
        self,
        access: InsightsAccess,
        insights: InsightsService,
        configured: tuple[str, ...],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access = access
        self._insights = insights
        self._starters = (configured or notices.STARTER_PROMPTS)[:MAX_PROMPTS]
        self._clock = clock
        self._top: tuple[str, ...] = ()
        self._top_until = 0.0

    async def for_user(self, user: str) -> tuple[str, ...]:
        """The most-asked questions for the docs team, the starters for everyone else."""
        if not await self._access.allows(user):
            return self._starters
        return await self._most_asked() or self._starters

    async def _most_asked(self) -> tuple[str, ...]:
        if self._clock() < self._top_until:
            return self._top
        try:
            counts = await self._insights.top_questions(DEFAULT_SPAN)
        except GitBookError as exc:
            logger.warning("most-asked questions unavailable, using the starters: %s", exc)
            return ()
        self._top = tuple(c.question for c in counts if c.question.strip())[:MAX_PROMPTS]
        self._top_until = self._clock() + TOP_QUESTIONS_TTL_SECONDS
        return self._top
