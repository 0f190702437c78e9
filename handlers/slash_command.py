"""The slash command (`/docs` by default): a private answer with a button to share it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack import blocks as messages
from bot.slack.inbound import question_text

COMMAND = "/docs"  # the default; the deployed name comes from SLASH_COMMAND


def usage(command: str) -> str:
    """Short help for an empty command."""
    return f"Ask me anything about the docs: `{command} how do I rotate an API key?`"


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer the configured slash command privately."""
    name = deps.settings.slash_command

    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        text = question_text(str(command.get("text") or ""), None)
        if not text:
            await ack(**messages.notice(usage(name)).as_kwargs())
            return
        await ack(text=messages.PLACEHOLDER_TEXT)
        team, channel = str(command.get("team_id", "")), str(command.get("channel_id", ""))
        asker = Asker(workspace=team, user=str(command["user_id"]), conversation=f"{channel}:cmd")
        await deps.replies.privately(Question(text=text, asker=asker), respond)

    app.command(name)(on_command)
