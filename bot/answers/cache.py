"""Recent answers, kept as versioned JSON under namespaced keys.

The cache key is the site, the scope and the normalized question; the archive keeps
every delivered answer by workspace and id for a day, with its asker, so buttons (Share,
Refresh) can act on it later, and only for whom they were shown.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.models import Answer, Asker, Outcome, PageRef, SourceLink
from bot.store import Store

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
ARCHIVE_TTL_SECONDS = 24 * 3600
_SPACES = re.compile(r"\s+")
_TRAILING_PUNCTUATION = " \t\n?!.,;:…¿¡"


def normalize_question(text: str) -> str:
    """Fold case, collapse whitespace and drop trailing punctuation."""
    return _SPACES.sub(" ", text).strip().casefold().rstrip(_TRAILING_PUNCTUATION)


def encode_answer(answer: Answer, *, created_at: float) -> str:
    """Serialize an answer as versioned JSON."""
    return json.dumps(_answer_data(answer, created_at))


def _answer_data(answer: Answer, created_at: float) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "id": answer.answer_id,
        "question": answer.question,
        "outcome": answer.outcome.value,
        "markdown": answer.markdown,
        "sources": [[s.title, s.url] for s in answer.sources],
        # Beside "sources", not in it: entries written before page ids still read the same,
        # and a process that does not know this key ignores it.
        "source_pages": [[s.page.space, s.page.page] if s.page else None for s in answer.sources],
        "followups": list(answer.followups),
        "notice": answer.notice,
        "search_url": answer.search_url,
        "created_at": created_at,
    }


def decode_answer(raw: str) -> tuple[Answer, float] | None:
    """Parse a stored answer and when it was made; None for another version or bad data."""
    try:
        return _answer_from(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring an unreadable stored answer: %s", exc)
        return None


def _answer_from(data: dict[str, Any]) -> tuple[Answer, float] | None:
    if data.get("v") != FORMAT_VERSION:
        return None
    answer = Answer(
        question=data["question"],
        outcome=Outcome(data["outcome"]),
        markdown=data["markdown"],
        sources=_sources_from(data["sources"], data.get("source_pages") or []),
        followups=tuple(data["followups"]),
        notice=data.get("notice"),
        search_url=data.get("search_url"),
        answer_id=data["id"],
    )
    return answer, float(data["created_at"])


def _sources_from(links: list[list[str]], pages: list[list[str] | None]) -> tuple[SourceLink, ...]:
    refs = [PageRef(*p) if p else None for p in pages] + [None] * len(links)
    return tuple(
        SourceLink(title=t, url=u, page=ref)
        for (t, u), ref in zip(links, refs[: len(links)], strict=True)
    )


class AnswerCache:
    """Answers by normalized question, for ttl seconds (0 turns the cache off)."""

    def __init__(
        self, store: Store, *, site_id: str, ttl: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._site_id = site_id
        self._ttl = ttl
        self._clock = clock

    def key(self, question: str, scope: tuple[str, ...] = ()) -> str:
        """Return the store key for question on this site and scope (site-space ids)."""
        # The same question limited to other site spaces may get another answer.
        scope_part = ",".join(sorted(set(scope))) or "default"
        material = f"{self._site_id}\x00{scope_part}\x00{normalize_question(question)}"
        return "docsbot:cache:" + hashlib.sha256(material.encode()).hexdigest()

    async def get(self, question: str, scope: tuple[str, ...] = ()) -> Answer | None:
        """Return the cached answer, labelled with when it was made."""
        if self._ttl <= 0:
            return None
        raw = await self._store.get(self.key(question, scope))
        decoded = decode_answer(raw) if raw else None
        if decoded is None:
            return None
        answer, created_at = decoded
        return replace(answer, cached_at=created_at)

    async def put(self, answer: Answer, scope: tuple[str, ...] = ()) -> None:
        """Cache an answer under its question and scope."""
        if self._ttl > 0:
            value = encode_answer(answer, created_at=self._clock())
            await self._store.set(self.key(answer.question, scope), value, self._ttl)


@dataclass(frozen=True, slots=True)
class ArchivedAnswer:
    """A delivered answer and who it was delivered to (buttons act only for them)."""

    answer: Answer
    asker: Asker


class AnswerArchive:
    """Every delivered answer by workspace and id, so a later button click can use it again."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def save(self, answer: Answer, asker: Asker) -> None:
        """Keep answer, and who asked, for a day."""
        data = _answer_data(answer, answer.cached_at or self._clock())
        data["asker"] = [asker.workspace, asker.user, asker.conversation]
        key = _archive_key(asker.workspace, answer.answer_id)
        await self._store.set(key, json.dumps(data), ARCHIVE_TTL_SECONDS)

    async def load(self, workspace: str, answer_id: str) -> ArchivedAnswer | None:
        """Return the answer with that id delivered in workspace, if it is still kept."""
        raw = await self._store.get(_archive_key(workspace, answer_id))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            decoded = _answer_from(data)
            team, user, conversation = data["asker"]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring an unreadable archived answer: %s", exc)
            return None
        return (
            None if decoded is None else ArchivedAnswer(decoded[0], Asker(team, user, conversation))
        )


def _archive_key(workspace: str, answer_id: str) -> str:
    # Keyed by workspace: an answer id from one workspace means nothing in another.
    return f"docsbot:answer:{workspace}:{answer_id}"
