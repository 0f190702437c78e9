"""The weekly insights digest, posted to INSIGHTS_DIGEST_CHANNEL by whichever process gets there.

Every process runs the same loop: once a minute it asks "is it Monday 09:00 UTC or up to six
hours later, and has nobody posted this ISO week yet?". The second question is a store
`add` (Redis `SET NX`) on a key per ISO week, so across processes sharing Redis exactly
one posts, once. The clock is injected, so tests choose the moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import GitBookError
from bot.insights.blocks import digest_failure_message, digest_message
from bot.insights.service import Clock, InsightsService, start_of_week, utc_now
from bot.slack.blocks import SlackMessage
from bot.store import Store
from bot.tasks import finish_or_cancel

logger = logging.getLogger(__name__)

DIGEST_AT = timedelta(hours=9)  # after Monday 00:00 UTC
LATE_WINDOW = timedelta(hours=6)  # a process started (or back) later still posts that Monday
CHECK_INTERVAL_SECONDS = 60.0
LOCK_TTL_SECONDS = 8 * 24 * 3600  # outlives its week


def is_due(now: datetime) -> bool:
    """Whether now is within the digest's posting window of its week."""
    slot = start_of_week(now) + DIGEST_AT
    return slot <= now < slot + LATE_WINDOW


def lock_key(now: datetime) -> str:
    """The store key that one process claims to post the digest of now's ISO week."""
    year, week, _ = now.isocalendar()
    return f"docsbot:digest:{year}-W{week:02d}"


class WeeklyDigest:
    """The scheduling loop and the post; `start()` it once, `stop()` it on shutdown."""

    def __init__(
        self,
        insights: InsightsService,
        slack: AsyncWebClient,
        store: Store,
        channel: str,
        *,
        clock: Clock = utc_now,
        interval: float = CHECK_INTERVAL_SECONDS,
    ) -> None:
        self._insights = insights
        self._slack = slack
        self._store = store
        self._channel = channel
        self._clock = clock
        self._interval = interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.checks = 0  # completed checks, so tests (and logs) know the loop has looked

    def start(self) -> None:
        """Run the loop in the background."""
        self._task = asyncio.create_task(self._run(), name="insights.digest")

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """End the loop, letting a digest being posted finish for up to grace_seconds."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        await finish_or_cancel([task], grace_seconds)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the loop's own boundary: a failed week must not end the loop
                logger.exception("weekly digest failed")
            with contextlib.suppress(TimeoutError):  # the interval passed: check again
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def run_once(self) -> bool:
        """Post this week's digest if it is due and no process has; return whether it posted."""
        try:
            now = self._clock()
            if not is_due(now):
                return False
            claim = json.dumps({"v": 1, "at": now.isoformat()})
            if not await self._store.add(lock_key(now), claim, LOCK_TTL_SECONDS):
                return False
            await self._post(await self._message())
            logger.info("weekly digest posted to %s", self._channel)
            return True
        finally:
            self.checks += 1

    async def _message(self) -> SlackMessage:
        try:
            return digest_message(await self._insights.last_week())
        except GitBookError as exc:
            logger.warning("weekly digest without figures: %s", exc)
            return digest_failure_message(exc)

    async def _post(self, message: SlackMessage) -> None:
        await self._slack.chat_postMessage(
            channel=self._channel, **message.as_kwargs(), unfurl_links=False, unfurl_media=False
        )
