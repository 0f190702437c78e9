"""Benchmark: how much the bot adds to GitBook's latency, and whether it holds up at scale.

`python -m bench` (or `make bench`) serves the real app (`bot.service.Service`) on 127.0.0.1
against the test suite's fake Slack and GitBook, sends it signed events, and prints the figures of
issue 6 with their targets; the result is also written as JSON. `run_bench(smoke_config())` is the
few-second version the test suite runs.
"""

from __future__ import annotations

from bench.config import AnswerShape, BenchConfig, smoke_config
from bench.report import FIGURE_KEYS
from bench.run import run_bench
from bench.table import render_table, write_json

__all__ = [
    "FIGURE_KEYS",
    "AnswerShape",
    "BenchConfig",
    "render_table",
    "run_bench",
    "smoke_config",
    "write_json",
]
