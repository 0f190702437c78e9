"""The benchmark's smoke run: a few questions through every phase, so `bench/` cannot rot.

Only completeness is checked (every question answered, every figure present), never timings.
"""

from __future__ import annotations

from bench import FIGURE_KEYS, render_table, run_bench, smoke_config


async def test_smoke_run_answers_every_question_and_reports_every_figure() -> None:
    config = smoke_config()

    result = await run_bench(config)

    figures = result["figures"]
    assert set(FIGURE_KEYS) <= set(figures)
    scale = figures["scale"]
    assert scale["answered_completely"] == scale["questions"] == config.scale_questions
    assert scale["lost_to_429"] == 0
    cache = figures["cache_hit"]
    assert cache["answered"] == cache["questions"] == config.cache_questions
    assert cache["ask_calls"] == 0
    for phase in ("steady", "burst"):
        assert figures["ack_latency_ms"][phase]["n"] > 0
        assert figures["event_to_complete_ms"][phase]["n"] == figures["ack_latency_ms"][phase]["n"]
        assert figures["baseline"][phase]["ratio"]["n"] > 0
    assert result["problems"] == []
    assert {"platform", "cpu_count", "python"} <= set(result["machine"])
    assert "targets met" in render_table(result)
