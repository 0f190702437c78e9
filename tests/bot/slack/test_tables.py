"""Tests for bot.slack.tables: GitHub-flavoured tables as aligned code blocks."""

from __future__ import annotations

import pytest

from bot.slack.tables import tables_to_code


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("| a |\n| - |\n| 1 |", "```\na\n-\n1\n```", id="one-column"),
        pytest.param(
            "a | b\n--|--\n1 | 2\n\nx", "```\na | b\n--+--\n1 | 2\n```\n\nx", id="no-pipes"
        ),
        pytest.param(
            "| 名前 | x |\n|--|--|\n| ab | y |", "```\n名前 | x\n-----+--\nab   | y\n```", id="wide"
        ),
        pytest.param("| a | b |\n|--|--|\n| 1 |", "```\na | b\n--+--\n1 |\n```", id="short-row"),
        pytest.param("```\n| a |\n|---|\n```", "```\n| a |\n|---|\n```", id="inside-fence"),
        pytest.param("| a | b |\n|--|\n", "| a | b |\n|--|\n", id="count-mismatch"),
        pytest.param("| `x\\|y` |\n|--|\n| <br> z |", "```\nx|y\n---\nz\n```", id="escaped-pipe"),
        pytest.param("| `x|y` |\n|--|", "| `x|y` |\n|--|", id="pipe-in-code-splits"),
        pytest.param("| ```a`` |\n|--|", "````\n```a``\n------\n````", id="ticks-in-cell"),
    ],
)
def test_tables_to_code(markdown: str, expected: str) -> None:
    assert tables_to_code(markdown) == expected
