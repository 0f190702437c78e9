"""Store-backed guards: answer each Slack message once, and keep each user within a rate."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store import Store

DEDUPE_TTL_SECONDS = 600  # Slack retries for up to about 5 minutes


class Deduplicator:
    """Remembers which events and messages are taken, across every process on one Redis."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def first_time(self, kind: str, *ids: str) -> bool:
        """Claim kind+ids; True only for the first claimant within the TTL."""
        key = f"docsbot:seen:{kind}:" + ":".join(ids)
        return await self._store.add(key, "1", DEDUPE_TTL_SECONDS)


class UserRateLimit:
    """At most ``per_minute`` questions per user in any 60 seconds (0 turns it off)."""

    def __init__(
        self, store: Store, per_minute: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._per_minute = per_minute
        self._clock = clock

    async def allow(self, workspace: str, user: str) -> bool:
        """Count a question; say whether the user is still within the limit."""
        if self._per_minute <= 0:
            return True
        return await self._store.take(
            f"docsbot:rate:{workspace}:{user}",
            tokens=1,
            limit=self._per_minute,
            window=60.0,
            now=self._clock(),
        )
