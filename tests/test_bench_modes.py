"""`python -m bench --stream-mode`: one mode, or both side by side."""

from __future__ import annotations

from typing import Any

from bench.__main__ import build_config, parse_args
from bench.config import BenchConfig
from bench.modes import render_side_by_side, with_mode


def test_with_mode_sets_stream_mode_over_any_env_given() -> None:
    config = BenchConfig(bot_env=(("STREAM_MODE", "auto"), ("LOG_LEVEL", "DEBUG")))
    assert dict(with_mode(config, "edit").bot_env) == {"STREAM_MODE": "edit", "LOG_LEVEL": "DEBUG"}


def test_the_flag_is_parsed() -> None:
    args = parse_args(["--smoke", "--stream-mode", "both"])
    assert args.stream_mode == "both"
    assert build_config(args).bot_env == ()  # applied per run, not to the base config


def _result(first_text: float, streamed: int) -> dict[str, Any]:
    dist = {"n": 4, "p50": first_text, "p95": first_text, "p99": first_text, "max": first_text}
    phase = {"streamed_first_text_ms": dist}
    parts = {"replies_streamed": streamed}
    return {
        "figures": {
            "baseline": {"steady": phase, "burst": phase},
            "first_text_overhead_ms": {"steady": dist, "burst": dist, "parts": {"burst": parts}},
            "last_chunk_to_final_ms": {"steady": dist, "burst": dist},
            "scale": {
                "answered_completely": 4,
                "slack_429s": 0,
                "lost_to_429": 0,
                "cpu_s_per_question": 0.004,
            },
        },
        "targets": [{"met": True}, {"met": False}],
    }


def test_side_by_side_has_one_column_per_mode() -> None:
    table = render_side_by_side({"native": _result(50.0, 4), "edit": _result(60.0, 2)})
    header, *rows = table.splitlines()
    assert header.split()[-2:] == ["native", "edit"]
    assert "replies streamed (burst)" in table and "4/4" in table and "2/4" in table
    assert rows[-1].split()[-2:] == ["1/2", "1/2"]
