"""The message shortcut "Ask the docs": any message's text, answered privately.

Whoever uses the shortcut gets the answer to that message's text (mentions, links and
user references made readable) as an ephemeral message in that channel, in the message's
thread when it has one (Slack shows ephemeral thread replies only in an active thread,
docs/slack.md §8), through the shortcut's `response_url` with `thread_ts` (§9). Its
**Share in thread** button posts the same archived answer publicly in the message's
thread, crediting who shared it, without asking GitBook again: ``Replies.share``, as the
`/docs` Share button does, for the asker of that private answer only.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext

from bot import notices
from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack import blocks
from bot.slack.delivery.streamer import ReplyTarget
from bot.slack.inbound import question_text
from bot.slack.replies import Replies
from handlers.actions import click_of

CALLBACK_ID = "ask_docs"  # features.shortcuts in manifest.yml


async def on_ask_docs(
    replies: Replies,
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Acknowledge, then answer the message's text privately to whoever used the shortcut."""
    await ack()
    message = body.get("message") or {}
    team = str((body.get("team") or {}).get("id") or context.team_id or "")
    channel = str((body.get("channel") or {}).get("id") or "")
    user = str((body.get("user") or {}).get("id") or "")
    thread_ts = message.get("thread_ts")  # the message is in (or starts) a thread
    share_thread = str(thread_ts or message.get("ts") or "")
    text = question_text(str(message.get("text") or ""), context.bot_user_id)
    asker = Asker(workspace=team, user=user, conversation=f"{channel}:{share_thread}")
    await replies.privately(
        Question(text=text, asker=asker, surface="shortcut"),
        respond,
        channel=channel,
        thread_ts=str(thread_ts) if thread_ts else None,
        share_thread=share_thread or None,
    )


async def on_share_in_thread(
    replies: Replies, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Post a private shortcut answer in the message's thread, for its asker only."""
    await ack()
    click = click_of(body)
    shared = blocks.share_in_thread_value(click.value) if click else None
    if click is None or shared is None:
        await respond(text=notices.SHARE_EXPIRED, response_type="ephemeral")
        return
    answer_id, thread_ts = shared
    target = ReplyTarget(click.channel, thread_ts, click.team)
    await replies.share(answer_id, target, click.user, respond)


def register(app: AsyncApp, deps: Deps) -> None:
    """Register the shortcut and its Share in thread button."""
    app.message_shortcut(CALLBACK_ID)(partial(on_ask_docs, deps.replies))
    app.action(blocks.SHARE_IN_THREAD_ACTION)(partial(on_share_in_thread, deps.replies))
