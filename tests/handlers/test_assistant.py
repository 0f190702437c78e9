"""The assistant pane's pure parts: prompt payloads and which DM messages it answers."""

from __future__ import annotations

from handlers.assistant import PROMPT_TITLE_LIMIT, is_dm_thread_message_from_person, prompt_payload


def test_prompts_get_a_short_title_and_the_whole_question_as_message() -> None:
    long = "How do I " + "really " * 20 + "configure SAML?"
    payload = prompt_payload(("How do I start?", long))
    assert payload[0] == {"title": "How do I start?", "message": "How do I start?"}
    assert len(payload[1]["title"]) == PROMPT_TITLE_LIMIT and payload[1]["title"].endswith("…")
    assert payload[1]["message"] == long


async def test_only_a_persons_dm_thread_messages_are_taken() -> None:
    base = {"type": "message", "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.2"}
    assert await is_dm_thread_message_from_person({**base, "thread_ts": "1.1"})
    assert not await is_dm_thread_message_from_person(base)  # top level: the DM handler's
    assert not await is_dm_thread_message_from_person({**base, "thread_ts": "1.1", "bot_id": "B1"})
    assert not await is_dm_thread_message_from_person(
        {**base, "thread_ts": "1.1", "channel_type": "channel"}
    )
