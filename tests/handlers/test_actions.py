"""Reading button clicks, and whether the clicked message really carries the button."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from handlers.actions import carries_button, click_of


def _click(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "container": {"type": "message", "channel_id": "C1", "message_ts": "2.0"},
        "message": {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "ts": "2.0",
            "thread_ts": "1.0",
            "blocks": [
                {
                    "type": "actions",
                    "elements": [{"type": "button", "action_id": "docsbot_refresh", "value": "a1"}],
                }
            ],
        },
        "actions": [{"action_id": "docsbot_refresh", "value": "a1", "type": "button"}],
    }
    body.update(overrides)
    return body


def _context() -> AsyncBoltContext:
    return AsyncBoltContext(bot_user_id="UBOT", bot_id="BBOT")


def test_a_click_says_who_where_and_what() -> None:
    click = click_of(_click())
    assert click is not None
    assert (click.team, click.user, click.channel) == ("T1", "U1", "C1")
    assert (click.thread, click.message_ts, click.private) == ("1.0", "2.0", False)
    assert (click.action_id, click.value) == ("docsbot_refresh", "a1")
    assert click.asker.conversation == "C1:1.0"


def test_a_click_without_user_or_action_is_not_read() -> None:
    assert click_of(_click(user=None)) is None
    assert click_of(_click(actions=[])) is None


def test_the_bots_own_message_with_the_button_carries_it() -> None:
    body = _click()
    click = click_of(body)
    assert click is not None and carries_button(body, _context(), click)


def test_another_message_or_another_value_does_not_carry_it() -> None:
    someone_elses = _click()
    someone_elses["message"] = {**someone_elses["message"], "user": "U0HUMAN", "bot_id": None}
    click = click_of(someone_elses)
    assert click is not None and not carries_button(someone_elses, _context(), click)

    replayed = _click(actions=[{"action_id": "docsbot_refresh", "value": "other"}])
    click = click_of(replayed)
    assert click is not None and not carries_button(replayed, _context(), click)
