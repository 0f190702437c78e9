"""`ask_question` insights events, so the docs team sees what people ask.

Visitor and session ids are keyed hashes of the chat platform's ids: GitBook can group
questions by person and conversation without ever receiving a raw Slack id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from bot.errors import GitBookError
from bot.gitbook.client import USER_AGENT, GitBookClient
from bot.gitbook.directory import SiteDirectory
from bot.gitbook.wire import VisitorSession
from bot.insights.query import timestamp
from bot.models import Asker, Question
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

FALLBACK_LOCATION_URL = "https://app.gitbook.com/"
BATCH_SECONDS = 0.25  # how long a question may wait for others to share its POST
MAX_BATCH = 100


def _digest(key: str, *parts: str) -> str:
    message = "\x00".join(parts).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def visitor_session(hash_key: str, asker: Asker) -> VisitorSession:
    """Derive stable, non-reversible visitor and session ids for an asker."""
    return VisitorSession(
        visitor_id="slack-" + _digest(hash_key, "visitor", asker.workspace, asker.user),
        session_id="slack-"
        + _digest(hash_key, "session", asker.workspace, asker.user, asker.conversation or ""),
    )


def _now() -> str:
    return timestamp(datetime.now(UTC))


def ask_question_event(
    question: Question, session: VisitorSession, url: str, *, timestamp: str | None = None
) -> dict[str, Any]:
    """Build one SiteInsightsEventAskQuestion."""
    event: dict[str, Any] = {
        "type": "ask_question",
        "query": question.text,
        "timestamp": timestamp or _now(),
        "session": {
            "visitorId": session.visitor_id,
            "sessionId": session.session_id,
            "cookies": {},
            "userAgent": USER_AGENT,
            "language": None,
            "referrer": None,
        },
        "location": {
            "url": url,
            "displayContext": "server",
            "siteSection": None,
            # The event names one site space: a channel scoped to exactly one names it.
            "siteSpace": question.scope[0] if len(question.scope) == 1 else None,
            "siteShareKey": None,
            "space": None,
            "revision": None,
            "page": None,
        },
    }
    if question.goal:
        event["goal"] = question.goal
    return event


class Insights:
    """Sends one `ask_question` event per question, off the answer path, in small batches.

    The endpoint takes a list: under load one POST carries many questions, which spares
    both GitBook's rate limit and the bot's event loop.
    """

    def __init__(
        self,
        gitbook: GitBookClient,
        directory: SiteDirectory,
        tasks: BackgroundTasks,
        *,
        hash_key: str,
        batch_seconds: float = BATCH_SECONDS,
    ) -> None:
        self._gitbook = gitbook
        self._directory = directory
        self._tasks = tasks
        self._hash_key = hash_key
        self._batch_seconds = batch_seconds
        self._pending: list[tuple[Question, str]] = []
        self._full = asyncio.Event()

    def session_for(self, asker: Asker) -> VisitorSession:
        """Return the ids used both in Ask and in the event, so they match."""
        return visitor_session(self._hash_key, asker)

    def question_asked(self, question: Question) -> None:
        """Record the question in the background; the answer never waits for it."""
        self._pending.append((question, _now()))
        if len(self._pending) == 1:
            self._full = asyncio.Event()
            self._tasks.spawn(self._flush_soon(), name="insights.ask_question")
        elif len(self._pending) >= MAX_BATCH:
            self._full.set()

    async def _flush_soon(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._batch_seconds):
                await self._full.wait()
        batch, self._pending = self._pending, []
        url = await self._directory.site_url() or FALLBACK_LOCATION_URL
        events = [
            ask_question_event(q, self.session_for(q.asker), url, timestamp=ts) for q, ts in batch
        ]
        try:
            await self._gitbook.track_events(events)
        except GitBookError as exc:
            logger.warning("%d insights events not recorded: %s", len(events), exc)
