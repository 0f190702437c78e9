"""Answers in flight: registered once however nested, counted by how they ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bot.metrics import Metrics
from bot.models import Answer, AnswerUpdate, Draft, Outcome
from bot.slack.tracking import Counted, Tracked


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_nested_blocks_register_the_task_once_and_the_outer_one_releases_it() -> None:
    registry: set[asyncio.Task[Any]] = set()
    with Tracked(registry):
        with Tracked(registry):
            assert registry == {asyncio.current_task()}
        assert registry == {asyncio.current_task()}  # the inner block did not unregister it
    assert registry == set()


async def _updates(*items: AnswerUpdate) -> AsyncIterator[AnswerUpdate]:
    for item in items:
        yield item


async def test_an_answer_is_counted_with_its_outcome_and_first_text() -> None:
    metrics = Metrics()
    final = Answer(question="q", outcome=Outcome.NO_ANSWER)
    with Counted(metrics, "mention") as counted:
        assert _sample(metrics.registry, "docsbot_answers_in_flight") == 1
        seen = [u async for u in counted.timed(_updates(Draft("a"), final))]
        counted.ended(final)
    assert seen == [Draft("a"), final]
    labels = {"surface": "mention", "outcome": "no_answer"}
    assert _sample(metrics.registry, "docsbot_questions_total", **labels) == 1
    assert _sample(metrics.registry, "docsbot_answer_first_text_seconds_count") == 1
    assert _sample(metrics.registry, "docsbot_answers_in_flight") == 0


@pytest.mark.parametrize(
    ("error", "outcome"),
    [(asyncio.CancelledError, "interrupted"), (RuntimeError, "error")],
)
async def test_an_answer_cut_short_is_counted_as_interrupted_or_error(
    error: type[BaseException], outcome: str
) -> None:
    metrics = Metrics()
    with pytest.raises(error), Counted(metrics, "dm"):
        raise error()
    labels = {"surface": "dm", "outcome": outcome}
    assert _sample(metrics.registry, "docsbot_questions_total", **labels) == 1
