"""@mentions in channels: answer in the mention's thread."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.slack.guards import Deduplicator
from bot.slack.replies import Replies
from handlers.user_messages import answer_message, ignore, is_user_message

SURFACE = "mention"
EVENT = "app_mention"


async def from_person(event: dict[str, Any]) -> bool:
    """A mention a person wrote (not a bot's, not an edit's re-delivery)."""
    return is_user_message(event)


async def on_mention(
    replies: Replies,
    dedupe: Deduplicator,
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """Answer in the mention's thread (a new thread under the mention at top level)."""
    thread_ts = event.get("thread_ts") or event["ts"]
    await answer_message(replies, dedupe, body, context, thread_ts=thread_ts, surface=SURFACE)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer app_mention events from people; acknowledge the rest."""
    app.event(EVENT, matchers=[from_person])(partial(on_mention, deps.replies, deps.dedupe))
    app.event(EVENT)(ignore)
