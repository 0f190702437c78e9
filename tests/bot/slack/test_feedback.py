"""The 👎 modal: what it carries to its submission, and reading the reason back."""

from __future__ import annotations

import pytest

from bot.slack.feedback import REASON_LIMIT, RatedAnswer, reason_modal, reason_of
from bot.slack.permalinks import Conversation

RATED = RatedAnswer(
    workspace="T1",
    answer_id="a1",
    rater="U1",
    where=Conversation("C1", "1.2", "1.1", private=False, domain="acme"),
    response_url="https://hooks.slack.com/actions/T1/1/x",
)


def test_metadata_round_trips_and_fits_slacks_limit() -> None:
    raw = RATED.encode()
    assert len(raw) <= 3000
    assert RatedAnswer.decode(raw) == RATED


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("not json", id="not-json"),
        pytest.param('{"v": 2}', id="other-version"),
        pytest.param('{"v": 1, "answer_id": "a1"}', id="incomplete"),
    ],
)
def test_metadata_not_ours_is_ignored(raw: str) -> None:
    assert RatedAnswer.decode(raw) is None


def test_modal_asks_an_optional_multiline_reason() -> None:
    view = reason_modal(RATED, to_gitbook=False)
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is True
    assert field["element"]["multiline"] is True
    assert field["element"]["max_length"] == REASON_LIMIT
    assert len(view["title"]["text"]) <= 24


def test_reason_is_read_from_the_submitted_state_and_trimmed() -> None:
    state = {"values": {"docsbot_reason": {"reason": {"type": "plain_text_input", "value": " x "}}}}
    assert reason_of({"state": state}) == "x"
    assert reason_of({"state": {"values": {}}}) == ""
