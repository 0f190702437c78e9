"""Load scenarios under Slack's limits, each beside its theoretical best and a naive baseline.

Each scenario sends mentions to the real bot, spread over a few seconds and over a few
channels (so `chat.postMessage`'s per-channel limit bites), against the fakes enforcing every
limit: `chat.update` 50/min, `chat.startStream`/`stopStream` 20/min, `chat.appendStream`
100/min per workspace, `chat.postMessage` a bucket of 5 per channel refilled at 1/s. The same
questions then go through the naive baseline (``bench.naive``: an edit on every chunk), and
``bench.model`` computes the best any bot could do under the same limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from bench.config import AnswerShape, BenchConfig
from bench.driver import ask_together, served_bot, staggered, wait_answered
from bench.fakes import started_fakes
from bench.model import Arrival, BestReply, best_replies
from bench.naive import NaiveStreamer
from bench.phases import PhaseRun, finish_phase, gitbook_settings
from bench.probes import Observer, Probe, make_probes, script_answers
from bench.report import ack_ms, each_probe, first_text_overhead, time_to_first_text
from bench.stats import Distribution, distribution, ms
from bench.system import Usage, peak_rss_mb
from bench.world import OutsideWorld
from bot.gitbook.client import GitBookClient, make_http_client

SETTLE_S = 60.0  # after the last question's answer is due, how long a run may still take
NAIVE_EXTRA_S = 20.0  # the naive baseline's answers still retrying this long after are dropped
NAIVE_SETTLE_S = 2.0
QUICK = AnswerShape(first_chunk_s=0.5, chunks=4, chunk_gap_s=0.35)
Figures = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """A figure's wanted bound; `of_best` makes it relative to the model's value."""

    figure: str
    op: str  # "<", ">=", "=="
    value: float
    of_best: bool = False

    def check(self, bot: Figures, best: Figures) -> tuple[str, bool]:
        """The wanted bound as text, and whether the bot's figure meets it."""
        bound = self.value * best[self.figure] if self.of_best else self.value
        got = bot[self.figure]
        text = f"{self.op} {bound:.0f}" + (f" ({self.value}x best)" if self.of_best else "")
        if got is None or (isinstance(got, float) and math.isnan(got)):
            return text, False
        met = {"<": got < bound, "<=": got <= bound, ">=": got >= bound, "==": got == bound}
        return text, met[self.op]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One load: how many questions, how they arrive, what GitBook and Slack do."""

    name: str
    questions: int
    spread_s: float  # the questions arrive evenly over this long
    channels: int
    shape: AnswerShape = QUICK
    latency_s: float = 0.0  # Slack's round trip, every call
    naive: bool = True  # also run the naive baseline
    targets: tuple[Target, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """One line: the load and GitBook's answers."""
        shape = self.shape
        rtt = f"; Slack round trip {self.latency_s * 1000:.0f} ms" if self.latency_s else ""
        return (
            f"{self.questions} questions over {self.spread_s:g} s in {self.channels} channel(s); "
            f"GitBook: first words at {shape.first_chunk_s:g} s, whole answer at "
            f"{shape.duration_s:g} s{rtt}"
        )


SCENARIOS = (
    Scenario(
        "sequential-10",
        10,
        36.0,  # one every 4 s
        1,
        AnswerShape(first_chunk_s=0.5, chunks=24, chunk_gap_s=0.5),
        targets=(Target("visibly_grew", ">=", 10), Target("overhead_p95_ms", "<", 150)),
    ),
    Scenario(
        "burst-50",
        50,
        5.0,
        10,
        targets=(Target("visibly_grew", ">=", 45), Target("overhead_p95_ms", "<", 300)),
    ),
    Scenario(
        "burst-200",
        200,
        5.0,
        10,
        targets=(
            Target("complete", "==", 200),
            Target("dropped", "==", 0),
            Target("first_text_p95_ms", "<=", 1.2, of_best=True),
        ),
    ),
    Scenario(
        "slack-rtt-100ms",
        10,
        9.0,
        10,
        latency_s=0.1,
        targets=(Target("event_to_ask_p50_ms", "<", 60), Target("overhead_p95_ms", "<", 250)),
    ),
    Scenario(
        "in-flight-600",
        600,
        5.0,
        30,
        AnswerShape(first_chunk_s=0.5, chunks=20, chunk_gap_s=1.0),
        naive=False,  # 600 naive streams at an edit a second would only measure 429 retries
        targets=(
            Target("ack_p99_ms", "<", 500),
            Target("ack_max_ms", "<", 2000),
            Target("complete", "==", 600),
            Target("peak_rss_mb", "<", 400),
        ),
    ),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def smoke_scenario() -> Scenario:
    """A few questions in two channels, quick answers: seconds."""
    quick = AnswerShape(first_chunk_s=0.05, chunks=3, chunk_gap_s=0.05, answer_chars=200)
    return Scenario("smoke", 6, 0.3, 2, quick, targets=(Target("complete", "==", 6),))


async def run_scenario(world: OutsideWorld, scenario: Scenario, config: BenchConfig) -> Figures:
    """Run the bot (and the naive baseline) through scenario; figures, best and targets."""
    config = replace(config, shape=scenario.shape)
    bot = _figures(await _bot_run(world, scenario, config))
    naive = _figures(await _naive_run(world, scenario, config)) if scenario.naive else None
    best = best_figures(scenario)
    targets = []
    for target in scenario.targets:
        wanted, met = target.check(bot, best)
        targets.append({"figure": target.figure, "value": bot[target.figure], "wanted": wanted})
        targets[-1]["met"] = met
    return {
        "name": scenario.name,
        "description": scenario.describe(),
        "bot": bot,
        "best": best,
        "naive": naive,
        "targets": targets,
    }


def _probes(scenario: Scenario) -> list[Probe]:
    return make_probes(
        scenario.name[:2], scenario.questions, scenario.shape, channels=scenario.channels
    )


def _timeout(scenario: Scenario, settle: float = SETTLE_S) -> float:
    return scenario.spread_s + scenario.shape.duration_s + settle


async def _bot_run(world: OutsideWorld, scenario: Scenario, config: BenchConfig) -> PhaseRun:
    run = PhaseRun(scenario.name, _probes(scenario))
    spacing = scenario.spread_s / max(1, scenario.questions - 1)
    async with world.inside(started_fakes(config)) as fakes:
        fakes.slack.latency = scenario.latency_s
        script_answers(fakes.gitbook, run.probes, scenario.shape)
        observer = Observer(fakes.slack, run.probes)
        async with served_bot(fakes, config) as service:
            before = Usage.now()
            ask = ask_together(observer, service.port, run.probes, spacing, _timeout(scenario))
            await world.run(ask)
            run.usage = Usage.now() - before
            run.peak_rss_mb = peak_rss_mb()
        observer.update()
        finish_phase(run, fakes)
    return run


async def _naive_run(world: OutsideWorld, scenario: Scenario, config: BenchConfig) -> PhaseRun:
    run = PhaseRun(f"naive-{scenario.name}", _probes(scenario))
    spacing = scenario.spread_s / max(1, scenario.questions - 1)
    async with world.inside(started_fakes(config)) as fakes:
        fakes.slack.latency = scenario.latency_s
        script_answers(fakes.gitbook, run.probes, scenario.shape)
        settings = gitbook_settings(fakes)
        async with make_http_client(settings) as http, aiohttp.ClientSession() as session:
            naive = NaiveStreamer(GitBookClient(http, settings), fakes, session)
            before = Usage.now()
            # Each naive answer returns once delivered or given up (then only the fake's last
            # calls are left to observe); one still retrying past the bot's wait is dropped.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_timeout(scenario, NAIVE_EXTRA_S)):
                    await staggered(run.probes, spacing, naive.answer)
            await wait_answered(Observer(fakes.slack, run.probes), NAIVE_SETTLE_S)
            run.usage = Usage.now() - before
            run.peak_rss_mb = peak_rss_mb()
        finish_phase(run, fakes)
        run.problems += naive.dropped[:5]
    return run


def _p(dist: Distribution, stat: str) -> float | None:
    value = dist[stat]
    return None if value is None else float(value)


def _figures(run: PhaseRun) -> Figures:
    probes = run.probes
    first_text = each_probe(probes, time_to_first_text)
    overhead = each_probe(probes, first_text_overhead)
    acks = distribution(ms(ack_ms(p)) for p in probes if p.ack_status)
    return {
        "questions": len(probes),
        "complete": sum(p.complete for p in probes),
        "dropped": sum(not p.answered for p in probes),
        "visibly_grew": sum(1 for p in probes if p.t_first_text < p.t_final),
        "overhead_p95_ms": _p(overhead, "p95"),
        "first_text_p50_ms": _p(first_text, "p50"),
        "first_text_p95_ms": _p(first_text, "p95"),
        "event_to_ask_p50_ms": _p(each_probe(probes, lambda p: p.t_ask - p.t_event), "p50"),
        "complete_p95_ms": _p(each_probe(probes, lambda p: p.t_final - p.t_event), "p95"),
        "ack_p99_ms": _p(acks, "p99"),
        "ack_max_ms": _p(acks, "max"),
        "slack_429s": sum(run.slack_429s.values()),
        "slack_429s_by_method": run.slack_429s,
        "peak_rss_mb": run.peak_rss_mb,
        "bot_cpu_s": round(run.usage.thread_cpu_s, 2),  # the bot's thread (naive: its loop)
        "wall_s": round(run.usage.wall_s, 1),
        "problems": run.problems[:5],
    }


def best_figures(scenario: Scenario) -> Figures:
    """The model's figures for scenario (no ack or Ask latency: those are ours alone)."""
    spacing = scenario.spread_s / max(1, scenario.questions - 1)
    arrivals = [
        Arrival(i * spacing, f"C{i % scenario.channels}") for i in range(scenario.questions)
    ]
    shape = scenario.shape
    replies = best_replies(
        arrivals,
        first_chunk_s=shape.first_chunk_s,
        duration_s=shape.duration_s,
        latency_s=scenario.latency_s,
    )
    return _best(replies, shape)


def _best(replies: list[BestReply], shape: AnswerShape) -> Figures:
    first = distribution(ms(r.first_text_s) for r in replies)
    overhead = distribution(ms(r.first_text_s - shape.first_chunk_s) for r in replies)
    return {
        "questions": len(replies),
        "complete": len(replies),
        "dropped": 0,
        "visibly_grew": sum(r.grows for r in replies),
        "overhead_p95_ms": _p(overhead, "p95"),
        "first_text_p50_ms": _p(first, "p50"),
        "first_text_p95_ms": _p(first, "p95"),
        "event_to_ask_p50_ms": 0.0,
        "complete_p95_ms": _p(distribution(ms(r.complete_s) for r in replies), "p95"),
        "ack_p99_ms": None,
        "ack_max_ms": None,
        "slack_429s": 0,
        "peak_rss_mb": None,
        "bot_cpu_s": None,
        "wall_s": None,
    }


ROWS = (
    ("answered completely", "complete"),
    ("no final answer (dropped)", "dropped"),
    ("visibly grew", "visibly_grew"),
    ("first text - first chunk p95 ms", "overhead_p95_ms"),
    ("event -> first text p50 ms", "first_text_p50_ms"),
    ("event -> first text p95 ms", "first_text_p95_ms"),
    ("event -> Ask request p50 ms", "event_to_ask_p50_ms"),
    ("event -> complete answer p95 ms", "complete_p95_ms"),
    ("ack of /slack/events p99 ms", "ack_p99_ms"),
    ("ack of /slack/events max ms", "ack_max_ms"),
    ("Slack 429s", "slack_429s"),
    ("peak RSS MB (whole process)", "peak_rss_mb"),
    ("bot CPU s (its thread), wall s", "cpu_and_wall"),
)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    return str(value)


def _value(figures: Figures, key: str) -> object:
    if key == "cpu_and_wall":
        cpu, wall = figures.get("bot_cpu_s"), figures.get("wall_s")
        return None if cpu is None else f"{cpu:.1f}/{wall:.0f}"
    return figures.get(key)


def render_scenario(result: Figures) -> str:
    """One scenario as a table: the bot, the model's best and the naive baseline side by side."""
    bot, best, naive = result["bot"], result["best"], result["naive"] or {}
    wanted = {t["figure"]: t for t in result["targets"]}
    lines = [
        f"== {result['name']}: {result['description']}",
        f"  {'figure':<34}{'bot':>9}{'best':>9}{'naive':>9}  target",
    ]
    for label, key in ROWS:
        target = wanted.get(key)
        mark = "" if target is None else f"{target['wanted']} {'yes' if target['met'] else 'NO'}"
        cells = "".join(f"{_cell(_value(f, key)):>9}" for f in (bot, best, naive))
        lines.append(f"  {label:<34}{cells}  {mark}")
    lines += [f"  problem: {text}" for text in bot["problems"]]
    return "\n".join(lines)
