"""Store-backed guards: answer each Slack message once, and keep each user within a rate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.store import Claim, Store

logger = logging.getLogger(__name__)

DEDUPE_TTL_SECONDS = 600  # Slack retries for up to about 5 minutes
RETRY_NUM = "slack_retry_num"  # the context key app.py puts Slack's X-Slack-Retry-Num under


class Deduplicator:
    """Remembers which events and messages are taken, across every process on one Redis."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def first_time(self, kind: str, *ids: str, retry: bool = False) -> bool:
        """Claim kind+ids; True only for the first claimant within the TTL.

        While Redis cannot record claims (down, full, read-only, password refused), a
        retry is not answered: its first delivery went to some process, maybe another one,
        which answers it (the first delivery of an event reaches exactly one process).
        """
        key = f"docsbot:seen:{kind}:" + ":".join(ids)
        claim = await self._store.claim(key, DEDUPE_TTL_SECONDS)
        if claim is Claim.LOCAL and retry:
            logger.warning("not answering a retry of %s: redis cannot record claims now", kind)
            return False
        return claim is not Claim.TAKEN


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
