"""Questions handed to people ("Ask a person"), as the bot records them for the docs team.

One record per answer (`docsbot:escalation:{workspace}:{answer id}`, versioned JSON, kept 91
days): created by a store `add` (Redis `SET NX`), so a second click, from any process, finds it
taken. Each posted escalation is also listed under its UTC day (`docsbot:escalations:{day}`),
so `/docs insights` and the digest count a range and list the ones still open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from bot.store import Store

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
ESCALATION_TTL_SECONDS = 91 * 24 * 3600  # the longest report range (3 months) plus a day
ESCALATIONS_PER_DAY = 1000  # a day's list is capped, like the docs-gap records


class State(StrEnum):
    """Where an escalation is."""

    PENDING = "pending"  # claimed, being posted
    OPEN = "open"  # posted in the escalation channel, waiting for people
    RESOLVED = "resolved"
    FAILED = "failed"  # the channel could not be reached: another click may try again


@dataclass(frozen=True, slots=True)
class Escalation:
    """One question handed to people, and what became of it."""

    workspace: str
    answer_id: str
    question: str
    asker: str  # Slack user id: these records stay with the bot, never sent to GitBook
    channel: str  # where it was asked
    thread: str | None
    private: bool
    at: float
    state: State = State.PENDING
    message_ts: str | None = None  # the escalation message, in ESCALATION_CHANNEL
    link: str | None = None  # its permalink
    resolved_by: str | None = None
    resolved_at: float | None = None

    @property
    def still_open(self) -> bool:
        return self.state is State.OPEN


def record_key(workspace: str, answer_id: str) -> str:
    """The store key of one answer's escalation."""
    return f"docsbot:escalation:{workspace}:{answer_id}"


def day_key(day: date) -> str:
    """The store key of one UTC day's posted escalations."""
    return f"docsbot:escalations:{day.isoformat()}"


def encode(escalation: Escalation) -> str:
    """Serialize a record as versioned JSON."""
    return json.dumps({"v": FORMAT_VERSION, **asdict(escalation)})


def decode(raw: str | None) -> Escalation | None:
    """Parse a stored record; None for none, another version or bad data."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if data.pop("v") != FORMAT_VERSION:
            return None
        return Escalation(**{**data, "state": State(data["state"])})
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("ignoring an unreadable escalation record")
        return None


class EscalationLog:
    """Claims, updates and reads back escalations."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> float:
        """The log's clock (records are stamped with it)."""
        return self._clock()

    async def claim(self, escalation: Escalation) -> bool:
        """Take this answer's one escalation; False when it is already with people."""
        key = record_key(escalation.workspace, escalation.answer_id)
        if await self._store.add(key, encode(escalation), ESCALATION_TTL_SECONDS):
            return True
        existing = decode(await self._store.get(key))
        if existing is not None and existing.state is State.FAILED:
            await self._save(escalation)  # the channel was unreachable: try again
            return True
        return False

    async def get(self, workspace: str, answer_id: str) -> Escalation | None:
        """The escalation of that answer, if there is one."""
        return decode(await self._store.get(record_key(workspace, answer_id)))

    async def posted(self, escalation: Escalation) -> None:
        """Record that it was posted (now open), and list it under its day."""
        await self._save(replace(escalation, state=State.OPEN))
        ref = json.dumps(
            {"v": FORMAT_VERSION, "w": escalation.workspace, "a": escalation.answer_id}
        )
        day = datetime.fromtimestamp(escalation.at, UTC).date()
        await self._store.push(
            day_key(day), ref, cap=ESCALATIONS_PER_DAY, ttl=ESCALATION_TTL_SECONDS
        )
        logger.info("event=escalation_posted answer_id=%s", escalation.answer_id)

    async def failed(self, escalation: Escalation) -> None:
        """Record that the escalation channel could not be reached."""
        await self._save(replace(escalation, state=State.FAILED))

    async def resolve(self, workspace: str, answer_id: str, by: str) -> Escalation | None:
        """Mark it resolved, once (a store `add`); None when it was already, or is unknown."""
        escalation = await self.get(workspace, answer_id)
        if escalation is None or escalation.state is not State.OPEN:
            return None
        key = record_key(workspace, answer_id) + ":resolved"
        if not await self._store.add(key, by, ESCALATION_TTL_SECONDS):
            return None  # someone else resolved it a moment ago
        resolved = replace(escalation, state=State.RESOLVED, resolved_by=by, resolved_at=self.now())
        await self._save(resolved)
        logger.info("event=escalation_resolved answer_id=%s", answer_id)
        return resolved

    async def between(self, start: datetime, end: datetime) -> list[Escalation]:
        """Escalations posted from start (inclusive) to end (exclusive), oldest first."""
        refs: list[tuple[str, str]] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            refs += [r for r in map(_ref, await self._store.recent(day_key(day))) if r]
            day += timedelta(days=1)
        found = await asyncio.gather(*(self.get(w, a) for w, a in dict.fromkeys(refs)))
        wanted = [e for e in found if e and start.timestamp() <= e.at < end.timestamp()]
        return sorted(wanted, key=lambda e: e.at)

    async def _save(self, escalation: Escalation) -> None:
        key = record_key(escalation.workspace, escalation.answer_id)
        await self._store.set(key, encode(escalation), ESCALATION_TTL_SECONDS)


def _ref(raw: str) -> tuple[str, str] | None:
    try:
        data = json.loads(raw)
        if data.get("v") != FORMAT_VERSION:
            return None
        return str(data["w"]), str(data["a"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
