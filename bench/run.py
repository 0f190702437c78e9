"""One benchmark run, end to end, within a hard deadline."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.config import BenchConfig
from bench.phases import baseline_phase, cache_phase, streamed_phase
from bench.report import Runs, figures, targets
from bench.scenarios import Scenario, run_scenario
from bench.system import Deadline, counted_logs, machine_info
from bench.world import OutsideWorld


async def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Run every phase and return the result: machine, config, figures, targets, logs."""
    started = time.monotonic()
    with counted_logs() as logs, OutsideWorld() as world:
        async with asyncio.timeout(config.deadline_s):
            runs = await _run_phases(world, config, Deadline(config.deadline_s))
    figs = figures(runs)
    phases = (runs.steady, runs.burst, runs.cache, runs.baseline_steady, runs.baseline_burst)
    return {
        "machine": machine_info(),
        "config": config.as_json(),
        "duration_s": round(time.monotonic() - started, 1),
        "figures": figs,
        "targets": targets(figs),
        "bot_logs": dict(logs.counts.most_common()),
        "bot_log_examples": logs.examples,
        "problems": [f"{run.name}: {text}" for run in phases for text in run.problems],
    }


async def _run_phases(world: OutsideWorld, config: BenchConfig, deadline: Deadline) -> Runs:
    # The burst goes last: if Slack's limits hold it up, the other phases still have their time.
    steady = (config.steady_questions, config.steady_spacing_s, deadline)
    burst = (config.scale_questions, config.scale_ramp_s / config.scale_questions, deadline)
    steady_run = await streamed_phase(world, config, "steady", *steady)
    baseline_steady = await baseline_phase(world, config, "steady", *steady)
    cache = await cache_phase(world, config, deadline)
    baseline_burst = await baseline_phase(world, config, "burst", *burst)
    burst_run = await streamed_phase(world, config, "burst", *burst)
    return Runs(steady_run, burst_run, cache, baseline_steady, baseline_burst)


async def run_scenarios(config: BenchConfig, scenarios: list[Scenario]) -> list[dict[str, Any]]:
    """Run each scenario (the bot, then the naive baseline) on fresh fakes, one after another."""
    results = []
    with counted_logs() as logs, OutsideWorld() as world:
        for scenario in scenarios:
            results.append(await run_scenario(world, scenario, config))
            results[-1]["bot_logs"] = dict(logs.counts.most_common(5))
            logs.counts.clear()
    return results
