"""Streaming modes side by side: the same run with STREAM_MODE=native, then STREAM_MODE=edit.

`python -m bench --stream-mode both` runs the whole benchmark once per mode (each on fresh
fakes and a fresh bot) and prints, after each mode's own table, one table of the headline
figures for both modes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.config import BenchConfig

BOTH = ("native", "edit")
STREAM_MODES = ("auto", "native", "edit", "both")

Figures = dict[str, Any]


def with_mode(config: BenchConfig, mode: str) -> BenchConfig:
    """config with the bot's STREAM_MODE set to mode (replacing any --env STREAM_MODE)."""
    env = tuple((name, value) for name, value in config.bot_env if name != "STREAM_MODE")
    return replace(config, bot_env=(*env, ("STREAM_MODE", mode)))


def _dist(key: str, phase: str, stat: str) -> Callable[[Figures], object]:
    return lambda f: f[key][phase][stat]


def _streamed(phase: str) -> Callable[[Figures], object]:
    def count(f: Figures) -> str:
        parts = f["first_text_overhead_ms"]["parts"][phase]
        return f"{parts['replies_streamed']}/{f['first_text_overhead_ms'][phase]['n']}"

    return count


ROWS: list[tuple[str, Callable[[Figures], object]]] = [
    (
        "first text ms p50 (steady)",
        lambda f: f["baseline"]["steady"]["streamed_first_text_ms"]["p50"],
    ),
    ("first-text overhead ms p95 (steady)", _dist("first_text_overhead_ms", "steady", "p95")),
    ("last chunk -> final ms p95 (steady)", _dist("last_chunk_to_final_ms", "steady", "p95")),
    (
        "first text ms p50 (burst)",
        lambda f: f["baseline"]["burst"]["streamed_first_text_ms"]["p50"],
    ),
    ("first-text overhead ms p95 (burst)", _dist("first_text_overhead_ms", "burst", "p95")),
    ("last chunk -> final ms p95 (burst)", _dist("last_chunk_to_final_ms", "burst", "p95")),
    ("replies streamed (burst)", _streamed("burst")),
    ("burst answered completely", lambda f: f["scale"]["answered_completely"]),
    ("Slack 429s (burst)", lambda f: f["scale"]["slack_429s"]),
    ("final answers lost to 429", lambda f: f["scale"]["lost_to_429"]),
    ("bot CPU ms per question", lambda f: round(f["scale"]["cpu_s_per_question"] * 1000, 2)),
]


def render_side_by_side(results: dict[str, dict[str, Any]]) -> str:
    """The headline figures of each mode's result, one column per mode."""
    modes = list(results)
    lines = [f"  {'stream mode':<40}" + "".join(f"{mode:>12}" for mode in modes)]
    for label, read in ROWS:
        cells = "".join(f"{_cell(read, results[mode]['figures']):>12}" for mode in modes)
        lines.append(f"  {label:<40}{cells}")
    met = "".join(
        f"{sum(t['met'] for t in results[m]['targets'])}/{len(results[m]['targets']):>}".rjust(12)
        for m in modes
    )
    lines.append(f"  {'targets met':<40}{met}")
    return "\n".join(lines)


def _cell(read: Callable[[Figures], object], figures: Figures) -> str:
    try:
        value = read(figures)
    except (KeyError, TypeError):
        return "-"
    return "-" if value is None else str(value)
