"""Which channel messages are auto-answered: the matcher in front of auto-answer channels."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.context.async_context import AsyncBoltContext

from handlers.auto_answer import is_question_in_auto_answer_channel

CHANNELS = frozenset({"C0HELP1", "G0HELP2"})


def _event(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": "C0HELP1",
        "channel_type": "channel",
        "user": "U0ASKER7",
        "text": "How do I set up SSO?",
        "ts": "1700000000.000100",
    }
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(_event(), True, id="public-question"),
        pytest.param(_event(channel="G0HELP2", channel_type="group"), True, id="private-question"),
        pytest.param(_event(subtype="file_share", files=[{"id": "F1"}]), True, id="with-a-file"),
        pytest.param(_event(channel="C0ELSE"), False, id="not-listed"),
        pytest.param(_event(channel_type="im", channel="D0DM1"), False, id="dm"),
        pytest.param(_event(thread_ts="1699999999.000001"), False, id="thread-reply"),
        pytest.param(_event(text="<@UBOT> how do I set up SSO?"), False, id="mentions-the-bot"),
        pytest.param(_event(text="morning all"), False, id="not-a-question"),
        pytest.param(_event(bot_id="B0OTHER"), False, id="bot"),
        pytest.param(_event(edited={"user": "U0ASKER7", "ts": "1.2"}), False, id="edited"),
        pytest.param(_event(subtype="channel_join"), False, id="join"),
    ],
)
async def test_auto_answer_matcher(event: dict[str, Any], expected: bool) -> None:
    context = AsyncBoltContext({"bot_user_id": "UBOT"})
    assert await is_question_in_auto_answer_channel(CHANNELS, event, context) is expected
