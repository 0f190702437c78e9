"""What a 👎 click hands to the modal: the answer, the rater and where it was shown."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.actions import click_of
from handlers.feedback import rated_answer


def _payload(*, ephemeral: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "team_id": "T1"},
        "container": {
            "type": "ephemeral_message" if ephemeral else "message",
            "message_ts": "1.2",
            "channel_id": "C1",
            "is_ephemeral": ephemeral,
        },
        "channel": {"id": "C1"},
        "trigger_id": "1.T1.trigger",
        "response_url": "https://hooks.slack.com/actions/T1/1/x",
        "actions": [{"action_id": "docsbot_feedback_not_helpful", "value": "a1"}],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": "1.2", "thread_ts": "1.1"}
    return payload


@pytest.mark.parametrize(
    ("ephemeral", "thread"),
    [pytest.param(False, "1.1", id="thread-reply"), pytest.param(True, "1.2", id="private")],
)
def test_the_modal_remembers_the_click(ephemeral: bool, thread: str) -> None:
    body = _payload(ephemeral=ephemeral)
    click = click_of(body)
    assert click is not None
    rated = rated_answer(click, body)
    assert (rated.workspace, rated.answer_id, rated.rater) == ("T1", "a1", "U1")
    assert rated.where.channel == "C1" and rated.where.message_ts == "1.2"
    assert rated.where.thread == thread and rated.where.private is ephemeral
    assert rated.where.domain == "acme"
    assert rated.response_url == body["response_url"]
    assert rated.where.thread_of_private is None  # no thread: the channel is linked instead
    assert rated.where.channel_url() == "https://acme.slack.com/archives/C1"
