"""The naive baseline: a placeholder at once, a `chat.update` on every chunk, nothing planned.

What a bot without a planner does: slack-sdk's 429 handler waits out Retry-After (3 retries),
then the call is given up. A given-up post or final edit leaves the asker without an answer
(counted as dropped). It runs on the bot's loop with the bot's GitBook client, like the
non-streaming baseline of ``bench.phases``.
"""

from __future__ import annotations

import time
from contextlib import aclosing

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bench.fakes import Fakes
from bench.probes import Probe
from bot.errors import GitBookError
from bot.gitbook.client import GitBookClient
from bot.notices import PLACEHOLDER

RETRIES = 3


class NaiveStreamer:
    """Placeholder, one edit per GitBook snapshot, a final edit; 429s retried 3 times."""

    def __init__(
        self, gitbook: GitBookClient, fakes: Fakes, session: aiohttp.ClientSession
    ) -> None:
        self._gitbook = gitbook
        self.dropped: list[str] = []
        self._slack = AsyncWebClient(
            token="xoxb-naive", base_url=fakes.slack.api_url, session=session
        )
        self._slack.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES))

    async def answer(self, probe: Probe) -> None:
        """Answer one probe; a failure drops it (counted), never stops the run."""
        probe.t_event = time.monotonic()
        try:
            posted = await self._slack.chat_postMessage(
                channel=probe.channel, thread_ts=probe.ts, text=PLACEHOLDER
            )
            await self._stream(probe, str(posted["ts"]))
        except (GitBookError, SlackApiError, aiohttp.ClientError) as exc:
            self.dropped.append(f"{probe.qid}: {exc!r}"[:200])

    async def _stream(self, probe: Probe, ts: str) -> None:
        text = ""
        async with aclosing(self._gitbook.ask(probe.question)) as snapshots:
            async for snapshot in snapshots:
                text = snapshot.markdown or text
                try:
                    await self._slack.chat_update(channel=probe.channel, ts=ts, text=text)
                except SlackApiError:
                    continue  # an intermediate edit lost; the final one carries the text
        await self._slack.chat_update(channel=probe.channel, ts=ts, text=text)
