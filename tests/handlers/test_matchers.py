"""Which message events count as a person asking: the filters in front of every answer."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.direct_message import is_direct_message_from_person
from handlers.user_messages import is_user_message

TS = "1700000000.000100"


def message(**fields: Any) -> dict[str, Any]:
    """A message event; a field set to None is left out."""
    event: dict[str, Any] = {"type": "message", "user": "U0ASKER7", "text": "hi", "ts": TS}
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


CASES = [
    pytest.param(message(), True, id="plain-message"),
    pytest.param(message(subtype="file_share", files=[{"id": "F1"}]), True, id="file_share"),
    pytest.param(message(thread_ts="1699999999.000001"), True, id="reply-in-thread"),
    pytest.param(
        message(
            subtype="message_changed",
            message={"type": "message", "user": "U0ASKER7", "text": "hi!", "ts": TS},
        ),
        False,
        id="message_changed",
    ),
    pytest.param(
        message(subtype="message_changed", user=None, message={"user": "U0ASKER7"}),
        False,
        id="message_changed-without-top-level-user",
    ),
    pytest.param(message(subtype="message_deleted", deleted_ts=TS), False, id="message_deleted"),
    pytest.param(
        message(subtype="bot_message", user=None, bot_id="B0OTHER"), False, id="bot_message"
    ),
    pytest.param(
        message(subtype="bot_message", bot_id=None), False, id="bot_message-without-bot_id"
    ),
    pytest.param(message(subtype="channel_join"), False, id="channel_join"),
    # "Also send to channel": Slack sends this instead of the plain reply (docs/slack.md §6).
    pytest.param(
        message(subtype="thread_broadcast", thread_ts="1699999999.000001"),
        True,
        id="thread_broadcast",
    ),
    # An edited mention re-delivered with the original ts: answered when first sent.
    pytest.param(
        message(edited={"user": "U0ASKER7", "ts": "1700000100.000000"}), False, id="edited"
    ),
    pytest.param(message(subtype="me_message"), False, id="me_message"),
    pytest.param(message(bot_id="B0OTHER"), False, id="bot_id-without-subtype"),
    pytest.param(message(bot_id="BBOT", user="UBOT"), False, id="the-bots-own-message"),
    pytest.param(message(user=None), False, id="missing-user"),
    pytest.param(message(user=42), False, id="user-not-a-string"),
    pytest.param(message(ts=None), False, id="missing-ts"),
]


@pytest.mark.parametrize(("event", "expected"), CASES)
def test_is_user_message(event: dict[str, Any], expected: bool) -> None:
    assert is_user_message(event) is expected


@pytest.mark.parametrize(("event", "from_person"), CASES)
@pytest.mark.parametrize(
    ("channel_type", "in_dm"),
    [
        pytest.param("im", True, id="im"),
        pytest.param("channel", False, id="channel"),
        pytest.param("group", False, id="group"),
        pytest.param("mpim", False, id="mpim"),
        pytest.param(None, False, id="no-channel_type"),
    ],
)
async def test_is_direct_message_from_person(
    event: dict[str, Any], from_person: bool, channel_type: str | None, in_dm: bool
) -> None:
    if channel_type is not None:
        event = {**event, "channel_type": channel_type}
    assert await is_direct_message_from_person(event) is (from_person and in_dm)
