"""What a native stream may show of growing snapshots: stable, defanged, append-only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.blocks import MARKDOWN_PIECE_LIMIT, display_markdown
from bot.slack.delivery.stream_text import HARD_LIMIT, SOFT_LIMIT, StreamView, next_view, remainder
from bot.slack.pieces import split_for_slack


@pytest.mark.parametrize(
    ("raw", "sent", "shown"),
    [
        pytest.param("To rotate", "", "To ", id="never-half-a-word"),
        pytest.param("Hello", "", None, id="one-unfinished-word-waits"),
        pytest.param(
            "To rotate a key, open **Settings", "To ", "To rotate a key, open ", id="open-bold"
        ),
        pytest.param("Run `docs lo", "", "Run ", id="open-code-span"),
        pytest.param("See [API keys](/spa", "", "See ", id="link-cut-in-its-text"),
        pytest.param("Intro.\n\n```py\nx = 1\ny", "", "Intro.\n\n", id="open-fence-waits"),
        pytest.param("Intro.\n\n| a | b |\n|---|", "", "Intro.\n\n", id="table-may-grow"),
        pytest.param("A\n\nB is wri", "", "A\n\nB is ", id="paragraphs"),
        pytest.param("  - nested\n  - more", "", "- nested\n  - ", id="leading-space-dropped"),
        pytest.param("To *", "To ", None, id="nothing-new"),
    ],
)
def test_streams_only_a_stable_prefix(raw: str, sent: str, shown: str | None) -> None:
    assert next_view(raw, sent) == StreamView(shown)


def test_a_finished_table_streams_as_its_code_block() -> None:
    raw = "Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter"
    assert next_view(raw, "").text == "Intro\n\n```\na | b\n--+--\n1 | 2\n```\n\n"


def test_mentions_are_defanged_and_never_completed_across_appends() -> None:
    first = next_view("Ping <!here> and ask <@U1|john", "")
    assert first.text == "Ping @\u200bhere and ask "
    # A line with a "|" (a mention label, or a table row) waits for its paragraph's end.
    growing = "Ping <!here> and ask <@U1|john doe> now.\nNext"
    assert next_view(growing, first.text or "").text is None
    later = next_view(growing + "\n\nMore", first.text or "")
    assert later.text == "Ping @\u200bhere and ask @\u200bjohn doe now.\nNext\n\n"


def test_a_rewritten_snapshot_is_reported() -> None:
    assert next_view("Rotate your key under Security.", "Rotate the key ").rewritten


def test_past_the_soft_limit_only_whole_paragraphs_stream() -> None:
    paragraph = "word " * 200  # 1,000 characters
    raw = "\n\n".join([paragraph.strip()] * 7) + " and more"
    shown = next_view(raw, "").text or ""
    assert SOFT_LIMIT < len(shown) <= HARD_LIMIT
    assert shown.endswith("\n\n")


def test_a_long_code_block_streams_up_to_the_paragraph_before_it() -> None:
    prose = "\n\n".join(["word " * 150] * 12)  # about 9,000 characters
    raw = prose + "\n\n```py\n" + "x = 1\n" * 500
    shown = next_view(raw, "").text or ""
    assert shown and len(shown) <= HARD_LIMIT and "```" not in shown


@pytest.mark.parametrize(
    ("body", "sent", "rest"),
    [
        pytest.param("abc def", "abc ", "def", id="extends"),
        pytest.param("abc", "abc\n\n", "", id="ends-at-a-streamed-paragraph-break"),
        pytest.param("abd", "abc", None, id="rewritten"),
    ],
)
def test_remainder(body: str, sent: str, rest: str | None) -> None:
    assert remainder(body, sent) == rest


_WORDS = st.sampled_from(
    [
        "open",
        "the",
        "settings",
        "**page**",
        "`rotate`",
        "[docs](https://x.y/z)",
        "*more*",
        "<!here>",
    ]
)
_PARAGRAPH = st.lists(_WORDS, min_size=1, max_size=30).map(" ".join)
_BLOCK = st.one_of(
    _PARAGRAPH,
    st.lists(_PARAGRAPH, min_size=1, max_size=4).map(lambda ps: "\n".join(f"- {p}" for p in ps)),
    st.integers(1, 6).map(lambda n: "```py\n" + "x = f()  # c\n" * n + "```"),
    st.lists(_WORDS, min_size=1, max_size=4).map(
        lambda ws: "| a | b |\n|---|---|\n" + "\n".join(f"| {w} | {w} |" for w in ws)
    ),
    _PARAGRAPH.map(lambda p: f"## {p}"),
)


@settings(max_examples=200, deadline=None)
@given(
    blocks=st.lists(_BLOCK, min_size=1, max_size=8),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=12),
)
def test_growing_answers_stream_append_only_and_the_final_answer_extends_them(
    blocks: list[str], cuts: list[float]
) -> None:
    answer = "\n\n".join(blocks)
    sent = ""
    for cut in sorted(cuts):
        view = next_view(answer[: int(cut * len(answer))], sent)
        assert not view.rewritten  # a snapshot that only grew never looks rewritten
        if view.text is not None:
            assert view.text.startswith(sent)  # append-only
            sent = view.text
    first = split_for_slack(display_markdown(answer, partial=False), MARKDOWN_PIECE_LIMIT)[0]
    assert remainder(first, sent) is not None  # the stop completes the first message
