"""Property tests: no payload, however malformed, makes parsing raise an unexpected error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import AskFormatError
from bot.gitbook.wire import parse_snapshot
from bot.models import AnswerSnapshot
from bot.slack.inbound import question_text
from bot.slack.web import _well_formed

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

answer_like = st.fixed_dictionaries(
    {},
    optional={
        "answer": st.one_of(
            json_values,
            st.fixed_dictionaries({"markdown": json_values}),
            st.fixed_dictionaries({}),
        ),
        "sources": st.lists(
            st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["page", "record", "x"])},
                    optional={
                        k: json_values for k in ("space", "revision", "page", "url", "title")
                    },
                ),
            ),
            max_size=4,
        ),
        "followupQuestions": st.one_of(json_values, st.lists(json_values, max_size=4)),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, answer_like))
def test_parse_snapshot_accepts_or_refuses_cleanly(value: Any) -> None:
    try:
        snapshot = parse_snapshot(value)
    except AskFormatError:
        return
    assert snapshot is None or isinstance(snapshot, AnswerSnapshot)
    if snapshot is not None:
        assert snapshot.markdown is None or isinstance(snapshot.markdown, str)
        assert all(isinstance(q, str) for q in snapshot.followups)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), json_values.map(json.dumps), st.binary().map(lambda b: b.hex())))
def test_request_bodies_are_classified_without_raising(body: str) -> None:
    assert _well_formed(body) in (True, False)
    assert _well_formed("payload=" + body) in (True, False)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_question_text_never_keeps_the_bot_mention(text: str) -> None:
    result = question_text(f"<@UBOT> {text}", "UBOT")
    assert "<@UBOT>" not in result
    assert result == result.strip()
