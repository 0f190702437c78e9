"""Which slash command texts are the insights subcommand; everything else stays a question."""

from __future__ import annotations

import pytest

from handlers.insights_command import is_insights_request


@pytest.mark.parametrize(
    ("text", "is_insights"),
    [
        pytest.param("insights", True, id="bare"),
        pytest.param("  Insights  ", True, id="case-and-spaces"),
        pytest.param("insights 7d", True, id="7d"),
        pytest.param("insights 30d", True, id="30d"),
        pytest.param("insights 3m", True, id="3m"),
        pytest.param("insights 1y", True, id="unknown-range-gets-usage"),
        pytest.param("insights about SSO?", False, id="a-question"),
        pytest.param("what are insights?", False, id="insights-later"),
        pytest.param("insightsful docs", False, id="prefix-of-a-word"),
        pytest.param("", False, id="empty"),
    ],
)
async def test_insights_subcommand_matcher(text: str, is_insights: bool) -> None:
    assert await is_insights_request({"text": text}) is is_insights
