"""Buttons under answers: follow-up questions, Refresh and Share (feedback: handlers/feedback.py).

Each acts only for whom and where it was shown: Share for the asker of that private answer,
Refresh on the bot's own reply that carries it, and any answer only in its own workspace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext

from bot import notices
from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack import blocks
from bot.slack.delivery.streamer import ReplyTarget
from bot.slack.private import tell_privately
from bot.slack.replies import Replies

FOLLOWUP_PATTERN = re.compile(rf"^{blocks.FOLLOWUP_ACTION}_\d+$")


@dataclass(frozen=True, slots=True)
class Click:
    """Who clicked which button, and where (from a block_actions payload)."""

    team: str
    user: str
    channel: str
    thread: str | None  # the clicked message's thread
    message_ts: str | None  # the clicked message
    private: bool  # the clicked message is ephemeral
    action_id: str
    value: str

    @property
    def asker(self) -> Asker:
        """The clicker as the one asking."""
        return Asker(self.team, self.user, conversation=f"{self.channel}:{self.thread}")

    def target(self, *, in_thread: bool = True) -> ReplyTarget:
        """Where a public reply to this click goes."""
        thread = self.thread if in_thread else None
        return ReplyTarget(self.channel, thread, self.team, user=self.user if in_thread else None)


def click_of(body: dict[str, Any]) -> Click | None:
    """Read a click; None when the payload lacks who clicked or what."""
    user = (body.get("user") or {}).get("id")
    actions = body.get("actions") or [{}]
    if not isinstance(user, str) or not actions[0].get("action_id"):
        return None
    container = body.get("container") or {}
    message = body.get("message") or {}
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    message_ts = container.get("message_ts") or message.get("ts")
    thread = message.get("thread_ts") or container.get("thread_ts") or message_ts
    return Click(
        team=str(team),
        user=user,
        channel=str(channel),
        thread=str(thread) if thread else None,
        message_ts=str(message_ts) if message_ts else None,
        private=bool(container.get("is_ephemeral")),
        action_id=str(actions[0]["action_id"]),
        value=str(actions[0].get("value") or ""),
    )


def carries_button(body: dict[str, Any], context: AsyncBoltContext, click: Click) -> bool:
    """The clicked message is the bot's own and shows this very button."""
    message = body.get("message") or {}
    own = message.get("user") == context.bot_user_id or (
        context.bot_id is not None and message.get("bot_id") == context.bot_id
    )
    buttons = (
        element
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
        if isinstance(element, dict)
    )
    shown = any(
        b.get("action_id") == click.action_id and b.get("value") == click.value for b in buttons
    )
    return own and shown


async def _acknowledged_click(ack: AsyncAck, body: dict[str, Any]) -> Click | None:
    """Acknowledge at once (Slack waits 3 s at most), then read the click."""
    await ack()
    return click_of(body)


async def on_followup(
    replies: Replies, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Ask a suggested follow-up in the same thread (privately under a private answer)."""
    click = await _acknowledged_click(ack, body)
    if click is None:
        return
    question = Question(text=click.value, asker=click.asker, surface="followup")
    if click.private:
        await replies.privately(question, respond, channel=click.channel)
        return
    await replies.in_thread(question, click.target())


async def on_refresh(
    replies: Replies,
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Ask again, bypassing the cache, and rewrite the same reply."""
    click = await _acknowledged_click(ack, body)
    if click is None:
        return
    text = await replies.question_of(click.team, click.value)
    if text is None:
        await tell_privately(respond, notices.REFRESH_EXPIRED)
        return
    question = Question(text=text, asker=click.asker, refresh=True, surface="refresh")
    if click.private:
        await replies.privately(question, respond, replace=True, channel=click.channel)
        return
    if not carries_button(body, context, click) or click.message_ts is None:
        await tell_privately(respond, notices.REFRESH_EXPIRED)
        return
    await replies.in_thread(question, click.target(), existing_ts=click.message_ts)


async def on_share(
    replies: Replies, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Post a private answer at the top level of the channel, for its asker only."""
    click = await _acknowledged_click(ack, body)
    if click is None:
        return
    await replies.share(click.value, click.target(in_thread=False), click.user, respond)


def register(app: AsyncApp, deps: Deps) -> None:
    """Register the button handlers."""
    app.action(FOLLOWUP_PATTERN)(partial(on_followup, deps.replies))
    app.action(blocks.REFRESH_ACTION)(partial(on_refresh, deps.replies))
    app.action(blocks.SHARE_ACTION)(partial(on_share, deps.replies))
