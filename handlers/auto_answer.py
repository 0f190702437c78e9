"""Auto-answer channels: questions answered in their thread without a mention.

In ``AUTO_ANSWER_CHANNELS``, a person's top-level message that reads as a question
(``bot.slack.inbound.reads_as_question``) is answered in its thread, but only with a real
answer: nobody asked the bot, so no answer, a failure or a refusal (rate limit, length)
posts nothing at all (the docs gap and a log line record it). Thread replies, bots, edits
and messages that mention the bot (answered as mentions) are left alone, and the same
exactly-once claim as mentions (team + channel + ts) means one message never gets two
replies across `app_mention`, `message.channels` and retries.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack.delivery.streamer import ReplyTarget
from bot.slack.guards import Deduplicator
from bot.slack.inbound import question_text, reads_as_question
from bot.slack.replies import Replies
from handlers.user_messages import first_delivery, is_user_message, workspace_of

EVENT = "message"
MANIFEST_EVENTS = ("message.channels", "message.groups")  # public and private channels
CHANNEL_TYPES = frozenset({"channel", "group"})


async def is_question_in_auto_answer_channel(
    channels: frozenset[str], event: dict[str, Any], context: AsyncBoltContext
) -> bool:
    """A person's new top-level question in one of the channels, not addressed to the bot."""
    text = str(event.get("text") or "")
    bot = context.bot_user_id
    return (
        event.get("channel") in channels
        and event.get("channel_type") in CHANNEL_TYPES
        and is_user_message(event)
        and not event.get("thread_ts")  # thread replies (and broadcasts) are conversations
        and not (bot and f"<@{bot}" in text)  # a mention: the app_mention answers it
        and reads_as_question(text)
    )


async def on_channel_question(
    replies: Replies,
    dedupe: Deduplicator,
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """Answer in a new thread under the question, only if the docs have an answer."""
    team = workspace_of(event, context)
    if not await first_delivery(dedupe, body, team):
        return
    channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
    text = question_text(str(event.get("text") or ""), context.bot_user_id)
    asker = Asker(workspace=team, user=user, conversation=f"{channel}:{ts}")
    target = ReplyTarget(channel, ts, team, user=user, question_ts=ts)
    await replies.only_if_answered(Question(text=text, asker=asker, surface="auto_answer"), target)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer questions in AUTO_ANSWER_CHANNELS (register before the DM catch-all)."""
    channels = deps.settings.auto_answer_channels
    if not channels:
        return
    matcher = partial(is_question_in_auto_answer_channel, channels)
    app.event(EVENT, matchers=[matcher])(partial(on_channel_question, deps.replies, deps.dedupe))
