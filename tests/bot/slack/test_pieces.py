"""Tests for bot.slack.pieces: answers cut into pieces that each fit one block."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.markdown import FENCE_OVERHEAD
from bot.slack.pieces import balance_fences, split_for_slack, split_markdown


@pytest.mark.parametrize(
    ("markdown", "limit", "expected"),
    [
        pytest.param("aa\nbb\n\ncc\ndd", 10, ["aa\nbb\n\n", "cc\ndd"], id="blank-line"),
        pytest.param("aa bb\ncc dd", 8, ["aa bb\n", "cc dd"], id="line-end"),
        pytest.param("aa bb cc", 6, ["aa bb ", "cc"], id="space"),
        pytest.param("abcdefgh", 3, ["abc", "def", "gh"], id="hard"),
        pytest.param(
            "```\na\n\nb\nc\n```", 12, ["```\na\n\nb\nc\n", "```"], id="blank-in-fence-skipped"
        ),
        pytest.param("short", 10, ["short"], id="fits"),
        pytest.param("", 5, [], id="empty"),
    ],
)
def test_split_markdown(markdown: str, limit: int, expected: list[str]) -> None:
    assert split_markdown(markdown, limit) == expected


@pytest.mark.parametrize("limit", [pytest.param(0, id="zero"), pytest.param(-3, id="negative")])
def test_split_markdown_rejects_bad_limit(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        split_markdown("text", limit)


def test_split_for_slack_rejects_limit_within_overhead() -> None:
    with pytest.raises(ValueError, match="FENCE_OVERHEAD"):
        split_for_slack("text", FENCE_OVERHEAD)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        pytest.param(
            ["intro\n```python\na\n", "b\n```\nend"],
            ["intro\n```python\na\n```", "```python\nb\n```\nend"],
            id="reopen-with-info",
        ),
        pytest.param(
            ["~~~~ " + "x" * 30 + "\na\n", "b\n~~~~"],
            ["~~~~ " + "x" * 30 + "\na\n~~~~", "~~~~\nb\n~~~~"],
            id="long-info-dropped",
        ),
        pytest.param(["\n\ntext\n\n", "\n \n"], ["text"], id="blank-lines-stripped"),
        pytest.param(["a\n```sh\n", "x\n```"], ["a", "```sh\nx\n```"], id="opener-moved"),
        pytest.param(["```\nx\n", "```\n\nb"], ["```\nx\n```", "b"], id="closer-not-reopened"),
        pytest.param(["`" * 11 + "\na\n", "b"], ["`" * 11 + "\na", "b"], id="long-fence-left"),
        pytest.param(["````\n```\n", "x\n````"], ["````\n```\n````", "````\nx\n````"], id="nested"),
    ],
)
def test_balance_fences(pieces: list[str], expected: list[str]) -> None:
    out = balance_fences(pieces)
    assert out == expected
    assert max(map(len, out), default=0) <= max(map(len, pieces)) + FENCE_OVERHEAD


def fence_count(piece: str) -> tuple[int, bool]:
    """Count a piece's fence lines (CommonMark rules, any indent) and say if one is left open."""
    marker = ""
    count = 0
    for line in piece.split("\n"):
        found = re.fullmatch(r"[ \t]*(`{3,}|~{3,})(.*)", line)
        if found is None:
            continue
        run, rest = found.groups()
        if not marker and not (run[0] == "`" and "`" in rest):
            marker, count = run, count + 1
        elif marker and run[0] == marker[0] and len(run) >= len(marker) and not rest.strip():
            marker, count = "", count + 1
    return count, bool(marker)


FRAGMENTS = st.sampled_from(
    [
        "\n",
        "\n\n",
        "```\n",
        "\n```python\n",
        "\n~~~\n",
        "\n````md\n",
        "`x`",
        "**",
        "*",
        "_",
        "[a](/pages/P)",
        "| a | b |\n|---|---|\n",
        " ",
        "word ",
        "y" * 70,
        "<!here> @channel",
    ]
)
MARKDOWNISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=40).map("".join)
TEXTS = st.one_of(st.text(), MARKDOWNISH)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=200))
def test_split_markdown_properties(markdown: str, limit: int) -> None:
    pieces = split_markdown(markdown, limit)
    assert "".join(pieces) == markdown
    assert all(0 < len(piece) <= limit for piece in pieces)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.integers(min_value=FENCE_OVERHEAD + 20, max_value=FENCE_OVERHEAD + 200))
def test_split_for_slack_properties(markdown: str, limit: int) -> None:
    # Fences longer than 10 characters are not reopened, by design (bounded FENCE_OVERHEAD).
    assume(not re.search(r"`{11,}|~{11,}", markdown))
    pieces = split_for_slack(markdown, limit)
    assert all(piece.strip() and len(piece) <= limit for piece in pieces)
    for piece in pieces:
        count, left_open = fence_count(piece)
        assert count % 2 == 0
        assert not left_open
    if not re.search(r"[`~]", markdown):
        assert "".join("".join(pieces).split()) == "".join(markdown.split())


def test_split_for_slack_keeps_code_in_every_piece() -> None:
    code = "\n".join(f"print({i})" for i in range(40))
    pieces = split_for_slack(f"Intro\n\n```python\n{code}\n```\n\nDone.", FENCE_OVERHEAD + 60)
    assert len(pieces) > 2
    inner = [p for p in pieces if "print(" in p]
    assert all(p.startswith("```python\n") and p.endswith("\n```") for p in inner[1:-1])
    assert "".join(re.findall(r"print\(\d+\)", "".join(pieces))) == code.replace("\n", "")
