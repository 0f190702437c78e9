"""@mentions in channels: answer in the mention's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from handlers.user_messages import answer_message, is_user_message

EVENT = "app_mention"


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer app_mention events from people."""

    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        thread_ts = event.get("thread_ts") or event["ts"]
        await answer_message(deps, body, context, thread_ts=thread_ts)

    async def ignore_mention(event: dict[str, Any]) -> None:
        """Acknowledge mentions not from a person (bots, edits) without answering."""

    app.event(EVENT, matchers=[_from_person])(on_mention)
    app.event(EVENT)(ignore_mention)


async def _from_person(event: dict[str, Any]) -> bool:
    return is_user_message(event)
