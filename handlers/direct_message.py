"""Direct messages: answer in the DM, in the question's thread if it has one."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.slack.guards import Deduplicator
from bot.slack.replies import Replies
from handlers.user_messages import answer_message, ignore, is_user_message

SURFACE = "dm"
EVENT = "message"
MANIFEST_EVENT = "message.im"


async def is_direct_message_from_person(event: dict[str, Any]) -> bool:
    """A person's new message in a DM with the bot."""
    return event.get("channel_type") == "im" and is_user_message(event)


async def on_direct_message(
    replies: Replies,
    dedupe: Deduplicator,
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """Answer in the DM: at top level, or in the thread the question was asked in."""
    await answer_message(
        replies, dedupe, body, context, thread_ts=event.get("thread_ts"), surface=SURFACE
    )


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer DMs; acknowledge every other message event (edits, deletes, joins, bots)."""
    app.event(EVENT, matchers=[is_direct_message_from_person])(
        partial(on_direct_message, deps.replies, deps.dedupe)
    )
    app.event(EVENT)(ignore)
