"""One benchmark run, end to end, within a hard deadline."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.config import BenchConfig
from bench.phases import baseline_phase, cache_phase, streamed_phase
from bench.report import Runs, figures, targets
from bench.system import Deadline, counted_logs, machine_info


async def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Run every phase and return the result: machine, config, figures, targets, logs."""
    started = time.monotonic()
    with counted_logs() as logs:
        async with asyncio.timeout(config.deadline_s):
            runs = await _run_phases(config, Deadline(config.deadline_s))
    figs = figures(runs)
    phases = (runs.steady, runs.burst, runs.cache, runs.baseline_steady, runs.baseline_burst)
    return {
        "machine": machine_info(),
        "config": config.as_json(),
        "duration_s": round(time.monotonic() - started, 1),
        "figures": figs,
        "targets": targets(figs),
        "bot_logs": dict(logs.counts.most_common()),
        "problems": [f"{run.name}: {text}" for run in phases for text in run.problems],
    }


async def _run_phases(config: BenchConfig, deadline: Deadline) -> Runs:
    # The burst goes last: if Slack's limits hold it up, the other phases still have their time.
    burst_spacing = config.scale_ramp_s / config.scale_questions
    steady = await streamed_phase(
        config, "steady", config.steady_questions, config.steady_spacing_s, deadline
    )
    baseline_steady = await baseline_phase(
        config, "steady", config.steady_questions, config.steady_spacing_s, deadline
    )
    cache = await cache_phase(config, deadline)
    baseline_burst = await baseline_phase(
        config, "burst", config.scale_questions, burst_spacing, deadline
    )
    burst = await streamed_phase(config, "burst", config.scale_questions, burst_spacing, deadline)
    return Runs(steady, burst, cache, baseline_steady, baseline_burst)
