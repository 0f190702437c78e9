"""From what the phases observed to the figures of issue 6, the targets, a table and JSON."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bench.phases import PhaseRun
from bench.probes import Probe
from bench.stats import Distribution, distribution, ms

FIGURE_KEYS = (
    "ack_latency_ms",
    "first_text_overhead_ms",
    "last_chunk_to_final_ms",
    "event_to_first_text_ms",
    "event_to_complete_ms",
    "cache_hit",
    "scale",
    "baseline",
)
STREAMED = ("steady", "burst")


@dataclass(frozen=True, slots=True)
class Runs:
    """Every phase of one run."""

    steady: PhaseRun
    burst: PhaseRun
    cache: PhaseRun
    baseline_steady: PhaseRun
    baseline_burst: PhaseRun

    def streamed(self) -> dict[str, PhaseRun]:
        return {"steady": self.steady, "burst": self.burst}


def each_probe(probes: Iterable[Probe], value: Callable[[Probe], float]) -> Distribution:
    return distribution(ms(value(p)) for p in probes)


def ack_ms(p: Probe) -> float:
    return p.t_ack - p.t_event


def first_text_overhead(p: Probe) -> float:
    """What the bot adds to GitBook's time to first chunk before the asker sees text."""
    return (p.t_first_text - p.t_event) - (p.t_chunk1 - p.t_ask)


def time_to_first_text(p: Probe) -> float:
    return p.t_first_text - p.t_event


def figures(runs: Runs) -> dict[str, Any]:
    """The six figures of the issue, each distribution as n/p50/p95/p99/max."""
    phases = runs.streamed()
    return {
        "ack_latency_ms": {n: each_probe(r.probes, ack_ms) for n, r in phases.items()},
        "first_text_overhead_ms": {
            **{n: each_probe(r.probes, first_text_overhead) for n, r in phases.items()},
            "parts": {n: _overhead_parts(r.probes) for n, r in phases.items()},
        },
        "last_chunk_to_final_ms": {
            n: each_probe(r.probes, lambda p: p.t_final - p.t_chunk_last) for n, r in phases.items()
        },
        # What an asker waits, end to end: for text to appear, and for the whole answer.
        "event_to_first_text_ms": {
            n: each_probe(r.probes, time_to_first_text) for n, r in phases.items()
        },
        "event_to_complete_ms": {
            n: each_probe(r.probes, lambda p: p.t_final - p.t_event) for n, r in phases.items()
        },
        "cache_hit": _cache(runs.cache),
        "scale": _scale(runs.burst),
        "baseline": {
            "steady": _versus(runs.steady, runs.baseline_steady),
            "burst": _versus(runs.burst, runs.baseline_burst),
        },
    }


def _overhead_parts(probes: list[Probe]) -> dict[str, Any]:
    streamed = [p for p in probes if p.t_first_text < p.t_final]
    return {
        "event_to_ask_ms": each_probe(probes, lambda p: p.t_ask - p.t_event),
        "first_chunk_to_text_ms": each_probe(probes, lambda p: p.t_first_text - p.t_chunk1),
        # Replies that showed text before the final answer (the others were delivered once).
        "replies_streamed": len(streamed),
        "streamed_replies_overhead_ms": each_probe(streamed, first_text_overhead),
    }


def _cache(run: PhaseRun) -> dict[str, Any]:
    return {
        "event_to_final_ms": each_probe(run.probes, lambda p: p.t_final - p.t_event),
        "ask_calls": run.ask_calls,
        "answered": sum(p.complete for p in run.probes),
        "questions": len(run.probes),
    }


def _scale(run: PhaseRun) -> dict[str, Any]:
    missing = [p for p in run.probes if not p.complete]
    questions = max(1, len(run.probes))
    return {
        "questions": len(run.probes),
        "answered_completely": len(run.probes) - len(missing),
        "lost_to_429": sum(1 for p in missing if run.limited[p.channel]),
        "slack_429s": sum(run.slack_429s.values()),
        "slack_429s_by_method": run.slack_429s,
        "final_reposts": run.reposts,
        "acks_not_200": sum(1 for p in run.probes if p.ack_status != 200),
        "max_asks_in_flight": run.max_asks_in_flight,
        "peak_rss_mb": run.peak_rss_mb,
        "rss_before_mb": run.rss_before_mb,
        # The bot's thread alone; the process adds the fakes and the load driver.
        "cpu_s_per_question": round(run.usage.thread_cpu_s / questions, 5),
        "cpu_s_total": round(run.usage.thread_cpu_s, 3),
        "process_cpu_s_per_question": round(run.usage.process_cpu_s / questions, 5),
        "wall_s": round(run.usage.wall_s, 2),
    }


def _versus(streamed: PhaseRun, baseline: PhaseRun) -> dict[str, Any]:
    ratios = [
        time_to_first_text(s) / time_to_first_text(b)
        for s, b in zip(streamed.probes, baseline.probes, strict=True)
        if time_to_first_text(b) > 0
    ]
    ours = each_probe(streamed.probes, time_to_first_text)
    theirs = each_probe(baseline.probes, time_to_first_text)
    medians = (ours["p50"], theirs["p50"])
    return {
        "streamed_first_text_ms": ours,
        "baseline_first_text_ms": theirs,
        "ratio": distribution(ratios, digits=3),
        "ratio_of_medians": _ratio(*medians),
        "baseline_answered": sum(p.answered for p in baseline.probes),
    }


def _ratio(a: float | int | None, b: float | int | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


# --- targets ------------------------------------------------------------------------------------


def targets(figs: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, the measured value and whether it is met."""
    rows: list[dict[str, Any]] = []
    for phase in STREAMED:
        rows += [
            _target(f"ack p99 ({phase})", figs["ack_latency_ms"][phase]["p99"], "< 100 ms", 100),
            _target(
                f"first-text overhead p95 ({phase})",
                figs["first_text_overhead_ms"][phase]["p95"],
                "< 150 ms",
                150,
            ),
            _target(
                f"last chunk to final edit p95 ({phase})",
                figs["last_chunk_to_final_ms"][phase]["p95"],
                "< 1500 ms",
                1500,
            ),
        ]
    cache, scale = figs["cache_hit"], figs["scale"]
    rows.append(_target("cache hit p95", cache["event_to_final_ms"]["p95"], "< 100 ms", 100))
    rows.append(_exact("cache hit Ask calls", cache["ask_calls"], 0))
    rows.append(
        _exact("burst answered completely", scale["answered_completely"], scale["questions"])
    )
    rows.append(_exact("burst final answers lost to 429", scale["lost_to_429"], 0))
    rows.append(_target("burst peak RSS (MB)", scale["peak_rss_mb"], "< 200 MB", 200))
    return rows


def _target(name: str, value: float | None, text: str, limit: float) -> dict[str, Any]:
    met = value is not None and not math.isnan(value) and value < limit
    return {"name": name, "value": value, "target": text, "met": met}


def _exact(name: str, value: int, wanted: int) -> dict[str, Any]:
    return {"name": name, "value": value, "target": f"= {wanted}", "met": value == wanted}
