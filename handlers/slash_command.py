"""The slash command (`/docs` by default): a private answer with a button to share it."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import notices
from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack import blocks
from bot.slack.inbound import question_text
from bot.slack.replies import Replies

SURFACE = "command"
COMMAND = "/docs"  # the default; the deployed name comes from SLASH_COMMAND


async def on_command(
    replies: Replies, name: str, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
) -> None:
    """Acknowledge with "Searching…" (or usage help), then answer privately."""
    text = question_text(str(command.get("text") or ""), None)
    if not text:
        await ack(**blocks.notice(notices.command_usage(name)).as_kwargs())
        return
    await ack(text=notices.PLACEHOLDER)
    team, channel = str(command.get("team_id", "")), str(command.get("channel_id", ""))
    asker = Asker(workspace=team, user=str(command["user_id"]), conversation=f"{channel}:cmd")
    question = Question(text=text, asker=asker, surface=SURFACE)
    await replies.privately(question, respond, channel=channel)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer the configured slash command privately."""
    name = deps.settings.slash_command
    app.command(name)(partial(on_command, deps.replies, name))
