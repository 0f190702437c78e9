"""The bench's load scenarios: the model of the best plan, and a smoke scenario end to end.

Only completeness and the model's arithmetic are checked, never measured timings.
"""

from __future__ import annotations

import pytest

from bench.config import BenchConfig
from bench.model import Arrival, best_replies
from bench.run import run_scenarios
from bench.scenarios import SCENARIOS, render_scenario, smoke_scenario


def _burst(questions: int, channels: int) -> list[Arrival]:
    return [Arrival(i * 5.0 / questions, f"C{i % channels}") for i in range(questions)]


def test_the_model_lets_every_reply_of_a_small_burst_grow() -> None:
    replies = best_replies(_burst(50, 10), first_chunk_s=0.5, duration_s=1.5)
    assert all(r.grows for r in replies)
    assert all(r.first_text_s == pytest.approx(0.5) for r in replies)


def test_past_the_stream_and_edit_windows_the_model_posts_the_whole_answer_once() -> None:
    replies = best_replies(_burst(200, 10), first_chunk_s=0.5, duration_s=1.5)
    assert sum(r.grows for r in replies) == 20 + 50  # startStream 20/min, chat.update 50/min
    once = [r for r in replies if not r.grows]
    assert all(r.first_text_s == r.complete_s >= 1.5 - 1e-9 for r in once)


def test_a_crowded_channel_posts_a_burst_of_five_then_one_a_second() -> None:
    elsewhere = [Arrival(0.0, "C0") for _ in range(70)]  # every stream and final edit taken
    crowded = [Arrival(0.0, "C1") for _ in range(8)]
    replies = best_replies(elsewhere + crowded, first_chunk_s=0.5, duration_s=1.5)[70:]
    times = sorted(r.first_text_s for r in replies)
    assert times == pytest.approx([1.5] * 5 + [2.5, 3.5, 4.5])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_scenario_has_targets_and_a_model(scenario: object) -> None:
    from bench.scenarios import Scenario, best_figures

    assert isinstance(scenario, Scenario)
    assert scenario.targets
    best = best_figures(scenario)
    assert best["complete"] == scenario.questions
    assert all(t.figure in best for t in scenario.targets)


async def test_the_smoke_scenario_answers_every_question_beside_its_model_and_baseline() -> None:
    (result,) = await run_scenarios(BenchConfig(), [smoke_scenario()])
    assert result["bot"]["complete"] == result["best"]["complete"] == 6
    assert result["bot"]["dropped"] == 0
    assert result["naive"] is not None and result["naive"]["questions"] == 6
    assert all(t["met"] for t in result["targets"])
    assert "smoke" in render_scenario(result)
