"""Where the docs fall short, from the bot's own records: questions with no answer, and 👎.

GitBook's insights know what was asked but not how it went, so the bot keeps these itself:
one capped list per UTC day (`docsbot:gaps:{yyyy-mm-dd}`, newest first) of versioned JSON
records, kept 90 days so `/docs insights 3m` can read them back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from bot.store import Store

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
GAPS_TTL_SECONDS = 91 * 24 * 3600  # the longest report range (3 months) plus a day
GAPS_PER_DAY = 1000  # a day's list is capped, so a flood of questions cannot grow Redis unbounded


class GapKind(StrEnum):
    """How a question fell short."""

    NO_ANSWER = "no_answer"
    NOT_HELPFUL = "not_helpful"


@dataclass(frozen=True, slots=True)
class Gap:
    """One question that got no answer, or an answer rated 👎."""

    kind: GapKind
    question: str
    at: float  # epoch seconds


def day_key(day: date) -> str:
    """Return the store key of one UTC day's records."""
    return f"docsbot:gaps:{day.isoformat()}"


def encode_gap(gap: Gap) -> str:
    """Serialize a record as versioned JSON."""
    return json.dumps(
        {"v": FORMAT_VERSION, "kind": gap.kind.value, "q": gap.question, "at": gap.at}
    )


def decode_gap(raw: str) -> Gap | None:
    """Parse a stored record; None for another version or bad data."""
    try:
        data = json.loads(raw)
        if data.get("v") != FORMAT_VERSION:
            return None
        return Gap(GapKind(data["kind"]), str(data["q"]), float(data["at"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("ignoring an unreadable docs-gap record")
        return None


class DocGaps:
    """Records questions that fell short and reads them back by time range."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def record(self, kind: GapKind, question: str) -> None:
        """Remember that question fell short, now."""
        gap = Gap(kind, question, self._clock())
        key = day_key(datetime.fromtimestamp(gap.at, UTC).date())
        await self._store.push(key, encode_gap(gap), cap=GAPS_PER_DAY, ttl=GAPS_TTL_SECONDS)

    async def between(self, start: datetime, end: datetime) -> list[Gap]:
        """Return the records made from start (inclusive) to end (exclusive), oldest first."""
        gaps: list[Gap] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            gaps.extend(g for g in map(decode_gap, await self._store.recent(day_key(day))) if g)
            day += timedelta(days=1)
        wanted = [g for g in gaps if start.timestamp() <= g.at < end.timestamp()]
        return sorted(wanted, key=lambda g: g.at)
