"""The result as a plain-text table, and as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import STREAMED
from bench.stats import Distribution


def write_json(result: dict[str, Any], path: Path) -> None:
    """Write the result as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8")


LABEL = 50


def _cell(value: object, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _dist_line(label: str, dist: Distribution, digits: int = 1) -> str:
    stats = "".join(f"{_cell(dist[k], digits):>9}" for k in ("p50", "p95", "p99", "max"))
    return f"  {label:<{LABEL}}{_cell(dist['n']):>5}{stats}"


def _distribution_lines(figs: dict[str, Any]) -> list[str]:
    lines = [f"  {'distribution':<{LABEL}}{'n':>5}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}"]
    for phase in STREAMED:
        parts = figs["first_text_overhead_ms"]["parts"][phase]
        lines += [
            _dist_line(f"1 ack latency ms ({phase})", figs["ack_latency_ms"][phase]),
            _dist_line(
                f"2 first-text overhead ms ({phase})", figs["first_text_overhead_ms"][phase]
            ),
            _dist_line("    event -> Ask request ms", parts["event_to_ask_ms"]),
            _dist_line("    first chunk -> text in Slack ms", parts["first_chunk_to_text_ms"]),
            _dist_line(
                f"    only the {parts['replies_streamed']} replies streamed ms",
                parts["streamed_replies_overhead_ms"],
            ),
            _dist_line(
                f"3 last chunk -> final edit ms ({phase})", figs["last_chunk_to_final_ms"][phase]
            ),
            _dist_line(
                f"  event -> first text ms ({phase})", figs["event_to_first_text_ms"][phase]
            ),
            _dist_line(
                f"  event -> complete answer ms ({phase})", figs["event_to_complete_ms"][phase]
            ),
        ]
    lines.append(
        _dist_line("4 cache hit: event -> final answer ms", figs["cache_hit"]["event_to_final_ms"])
    )
    for phase in STREAMED:
        versus = figs["baseline"][phase]
        lines += [
            _dist_line(f"6 first text ms, streamed ({phase})", versus["streamed_first_text_ms"]),
            _dist_line(f"6 first text ms, baseline ({phase})", versus["baseline_first_text_ms"]),
            _dist_line(f"6 ratio streamed/baseline ({phase})", versus["ratio"], digits=3),
        ]
    return lines


def _scalar_lines(figs: dict[str, Any]) -> list[str]:
    scale, cache = figs["scale"], figs["cache_hit"]
    pairs = [
        ("4 cache hit: Ask calls", cache["ask_calls"]),
        (
            "5 burst questions (max Asks in flight)",
            f"{scale['questions']} ({scale['max_asks_in_flight']})",
        ),
        (
            "5 answered completely (acks not 200)",
            f"{scale['answered_completely']} ({scale['acks_not_200']})",
        ),
        ("5 final answers lost to 429", scale["lost_to_429"]),
        ("5 Slack 429s (by method)", f"{scale['slack_429s']} {scale['slack_429s_by_method']}"),
        ("5 final edits refused, posted anew", scale["final_reposts"]),
        ("5 peak RSS MB (before burst)", f"{scale['peak_rss_mb']} ({scale['rss_before_mb']})"),
        (
            "5 bot CPU s per question (total; wall s)",
            f"{scale['cpu_s_per_question']} ({scale['cpu_s_total']}; {scale['wall_s']})",
        ),
        ("5 process CPU s per question (+fakes, driver)", scale["process_cpu_s_per_question"]),
    ]
    pairs += [
        (f"6 ratio of medians streamed/baseline ({p})", figs["baseline"][p]["ratio_of_medians"])
        for p in STREAMED
    ]
    return [f"  {label:<{LABEL}}{_cell(value, 3)}" for label, value in pairs]


def _target_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = [f"  {'target':<{LABEL}}{'value':>10}  {'wanted':<11}met"]
    for row in rows:
        mark = "yes" if row["met"] else "NO"
        lines.append(
            f"  {row['name']:<{LABEL}}{_cell(row['value']):>10}  {row['target']:<11}{mark}"
        )
    met = sum(row["met"] for row in rows)
    lines.append(f"  {met}/{len(rows)} targets met")
    return lines


def render_table(result: dict[str, Any]) -> str:
    """The result as a plain-text report."""
    machine = result["machine"]
    head = (
        f"bench: {machine['platform']}, {machine['cpu_count']} CPUs ({machine['processor']}), "
        f"Python {machine['python']}; load average {machine['load_average']}; "
        f"run took {result['duration_s']} s\n"
        f"code: {machine['code']['commit']}, uncommitted: {machine['code']['uncommitted']}"
    )
    figs = result["figures"]
    sections = [
        [head],
        _distribution_lines(figs),
        _scalar_lines(figs),
        _target_lines(result["targets"]),
        _notes(result),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines)


def _notes(result: dict[str, Any]) -> list[str]:
    examples = result["bot_log_examples"]
    lines = [f"  log {n}x  {examples.get(kind, kind)}" for kind, n in result["bot_logs"].items()]
    lines += [f"  problem: {text}" for text in result["problems"][:10]]
    return lines
