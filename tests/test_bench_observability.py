"""The observability benchmark runs and reports every figure (never asserts on timings)."""

from __future__ import annotations

from bench.observability import Footprint, measure_costs, measure_footprint, render


async def test_the_footprint_is_counted_on_the_real_app() -> None:
    footprint = await measure_footprint()
    assert footprint.log_records >= 1  # at least the request line
    assert footprint.slack_calls >= 1  # at least the reply


def test_every_configuration_is_measured_and_rendered() -> None:
    costs = measure_costs(Footprint(log_records=4, slack_calls=3), replays=50)
    assert set(costs) == {"off", "metrics", "text logs", "json logs", "metrics + json logs"}
    assert all(value >= 0 for value in costs.values())
    table = render(Footprint(4, 3), costs)
    assert all(name in table for name in costs)
