"""Direct messages: answer in the DM, in the question's thread if it has one."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from handlers.user_messages import answer_message, is_user_message

EVENT = "message"
MANIFEST_EVENT = "message.im"


async def is_direct_message_from_person(event: dict[str, Any]) -> bool:
    """A person's new message in a DM with the bot."""
    return event.get("channel_type") == "im" and is_user_message(event)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer DMs; acknowledge every other message event without answering."""

    async def on_direct_message(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await answer_message(deps, body, context, thread_ts=event.get("thread_ts"))

    async def ignore_message(event: dict[str, Any]) -> None:
        """Edits, deletes, joins, bots: acknowledged (so Slack does not retry), not answered."""

    app.event(EVENT, matchers=[is_direct_message_from_person])(on_direct_message)
    app.event(EVENT)(ignore_message)
