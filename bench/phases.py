"""The run's phases, each on fresh fakes (and a fresh bot), so none eats another's Slack budget.

- streamed: questions arrive spaced out (steady) or all together (burst) and stream into Slack;
- cache: questions answered once, then asked again in other channels;
- baseline: the same questions answered the non-streaming way, whole answer then one post.

The fakes and the load driver run in the `OutsideWorld` thread; the bot (and the baseline's
answerer, which stands in for a non-streaming bot) on the main thread.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bench.config import BenchConfig
from bench.driver import ask_one_by_one, ask_together, served_bot, staggered, wait_answered
from bench.fakes import Fakes, started_fakes
from bench.probes import (
    Observer,
    Probe,
    add_gitbook_times,
    check_complete,
    limited_channels,
    make_probes,
    script_answers,
)
from bench.system import Deadline, Usage, current_rss_mb, peak_rss_mb
from bench.world import OutsideWorld
from bot.errors import GitBookError
from bot.gitbook.client import GitBookClient, make_http_client
from bot.models import AnswerSnapshot
from bot.settings import GitBookSettings, Secret

SHUTDOWN_RESERVE_S = 6.0  # kept back from each wait so the bot can still shut down in time
SETTLE_S = 15.0  # how long after the last expected chunk a streamed phase waits
BURST_SETTLE_S = 60.0  # the contract: every final answer lands within a minute in a burst
CACHE_WAIT_S = 5.0


@dataclass
class PhaseRun:
    """What one phase observed."""

    name: str
    probes: list[Probe]
    usage: Usage = field(default_factory=Usage.zero)  # bot thread and process, during the phase
    rss_before_mb: float | None = None
    peak_rss_mb: float = 0.0
    slack_429s: dict[str, int] = field(default_factory=dict)
    limited: Counter[str] = field(default_factory=Counter)
    reposts: int = 0
    ask_calls: int = 0
    max_asks_in_flight: int = 0
    problems: list[str] = field(default_factory=list)


async def streamed_phase(
    world: OutsideWorld,
    config: BenchConfig,
    name: str,
    count: int,
    spacing_s: float,
    deadline: Deadline,
) -> PhaseRun:
    """Ask count questions through the bot, one every spacing_s, and watch them stream."""
    run = PhaseRun(name, make_probes(name[0], count, config.shape))  # same as its baseline's
    settle = BURST_SETTLE_S if name == "burst" else SETTLE_S
    timeout = spacing_s * count + config.shape.duration_s + settle
    async with world.inside(started_fakes(config)) as fakes:
        script_answers(fakes.gitbook, run.probes, config.shape)
        observer = Observer(fakes.slack, run.probes)
        async with served_bot(fakes, config) as service:
            run.rss_before_mb = current_rss_mb()
            before = Usage.now()
            wait = min(timeout, deadline.remaining(SHUTDOWN_RESERVE_S))
            await world.run(ask_together(observer, service.port, run.probes, spacing_s, wait))
            run.usage = Usage.now() - before
            run.peak_rss_mb = peak_rss_mb()
        observer.update()  # answers closed while the bot shut down
        finish_phase(run, fakes)
    return run


def repeat_of(probe: Probe) -> Probe:
    """The same question asked elsewhere, written differently but equal once normalized."""
    qid = probe.qid + "r"
    return replace(
        probe,
        qid=qid,
        channel=f"C{qid.upper()}",
        user=f"U{qid.upper()}",
        question=probe.question.lower().rstrip("?") + "  ??",
    )


async def cache_phase(world: OutsideWorld, config: BenchConfig, deadline: Deadline) -> PhaseRun:
    """Answer questions once (quickly), then time the same questions served from the cache."""
    quick = replace(config.shape, first_chunk_s=0.0, chunks=1, chunk_gap_s=0.0)
    warm = make_probes("w", config.cache_questions, quick)
    run = PhaseRun("cache", [repeat_of(probe) for probe in warm])
    async with world.inside(started_fakes(config)) as fakes:
        script_answers(fakes.gitbook, warm, quick)
        async with served_bot(fakes, config) as service:
            wait = deadline.remaining(SHUTDOWN_RESERVE_S)
            await world.run(ask_together(Observer(fakes.slack, warm), service.port, warm, 0, wait))
            asks_before = len(fakes.gitbook.ask_requests)
            before = Usage.now()
            wait = min(CACHE_WAIT_S, deadline.remaining(SHUTDOWN_RESERVE_S))
            # One at a time: the latency of a hit, not of a queue.
            observer_of = _single_observer(fakes)
            await world.run(ask_one_by_one(observer_of, service.port, run.probes, wait))
            run.usage = Usage.now() - before
            run.peak_rss_mb = peak_rss_mb()
        finish_phase(run, fakes)
        run.ask_calls = len(fakes.gitbook.ask_requests) - asks_before
    return run


def _single_observer(fakes: Fakes) -> Callable[[Probe], Observer]:
    return lambda probe: Observer(fakes.slack, [probe])


async def baseline_phase(
    world: OutsideWorld,
    config: BenchConfig,
    of: str,
    count: int,
    spacing_s: float,
    deadline: Deadline,
) -> PhaseRun:
    """Answer a streamed phase's questions without streaming: the whole answer, then one post."""
    run = PhaseRun(f"baseline-{of}", make_probes(of[0], count, config.shape))
    async with world.inside(started_fakes(config)) as fakes:
        script_answers(fakes.gitbook, run.probes, config.shape)
        settings = gitbook_settings(fakes)
        async with make_http_client(settings) as http, aiohttp.ClientSession() as session:
            answerer = _WholeAnswer(GitBookClient(http, settings), fakes, session)
            before = Usage.now()
            await staggered(run.probes, spacing_s, answerer.answer)
            observer = Observer(fakes.slack, run.probes)
            await wait_answered(observer, deadline.remaining(SHUTDOWN_RESERVE_S))
            run.usage = Usage.now() - before
        finish_phase(run, fakes)
        run.problems += answerer.failures[:5]
    return run


def finish_phase(run: PhaseRun, fakes: Fakes) -> None:
    slack, gitbook = fakes.slack, fakes.gitbook
    add_gitbook_times(gitbook, run.probes)
    check_complete(slack, run.probes)
    run.slack_429s = dict(slack.count_429)
    run.limited = limited_channels(slack)
    run.reposts = sum(1 for stamp in slack.accepted if stamp.call.method == "chat.delete")
    run.ask_calls = len(gitbook.ask_requests)
    run.max_asks_in_flight = gitbook.max_ask_in_flight
    run.problems = [f"slack refused {r.method}: {r.error} ({r.detail})" for r in slack.refusals]
    run.problems += [f"gitbook schema: {e}" for e in gitbook.schema_errors]
    run.problems += [f"gitbook handler: {e}" for e in gitbook.server_errors]


def gitbook_settings(fakes: Fakes) -> GitBookSettings:
    return GitBookSettings(
        api_token=Secret(fakes.gitbook.token),
        organization_id=fakes.gitbook.org,
        site_id=fakes.gitbook.site,
        api_url=fakes.gitbook.url,
        timeout_seconds=15.0,
    )


class _WholeAnswer:
    """The non-streaming way: read Ask to the end with the bot's client, then post once."""

    def __init__(
        self, gitbook: GitBookClient, fakes: Fakes, session: aiohttp.ClientSession
    ) -> None:
        self._gitbook = gitbook
        self.failures: list[str] = []
        self._slack = AsyncWebClient(
            token="xoxb-baseline", base_url=fakes.slack.api_url, session=session
        )

    async def answer(self, probe: Probe) -> None:
        """Answer one probe; a failure leaves it unanswered (counted), never stops the run."""
        probe.t_event = time.monotonic()
        try:
            text = await self._whole_answer(probe.question)
            await self._slack.chat_postMessage(channel=probe.channel, thread_ts=probe.ts, text=text)
        except (GitBookError, SlackApiError, aiohttp.ClientError) as exc:
            self.failures.append(f"{probe.qid}: {exc!r}")

    async def _whole_answer(self, question: str) -> str:
        last: AnswerSnapshot | None = None
        async with aclosing(self._gitbook.ask(question)) as snapshots:
            async for snapshot in snapshots:
                last = snapshot
        return (last.markdown if last else None) or "no answer"
