"""🙋 Ask a person under answers, and ✅ Resolved under the escalation it posts.

Only with ESCALATION_CHANNEL set. Ask a person acts for the answer's asker only; Resolved
only on the bot's own escalation message in that channel (anyone there may press it).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.slack import blocks
from bot.slack.escalation import RESOLVE_ACTION, EscalationRequest, People
from bot.slack.permalinks import Conversation
from bot.slack.private import tell_privately
from handlers.actions import carries_button, click_of


async def on_ask_person(
    people: People, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Hand the answer to people in the escalation channel (once per answer)."""
    await ack()
    click = click_of(body)
    if click is None:
        return
    where = Conversation(
        channel=click.channel,
        message_ts=click.message_ts,
        thread=click.thread,
        private=click.private,
        domain=(body.get("team") or {}).get("domain"),
    )
    await people.escalate(EscalationRequest(click.team, click.value, click.user, where), respond)


async def on_resolved(
    people: People,
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Mark the escalation resolved: edit it, and tell the asker."""
    await ack()
    click = click_of(body)
    if click is None or click.channel != people.channel or not carries_button(body, context, click):
        return  # not our escalation message
    refusal = await people.resolve(click.team, click.value, click.user, body.get("message") or {})
    if refusal is not None:
        await tell_privately(respond, refusal)


def register(app: AsyncApp, deps: Deps) -> None:
    """Register Ask a person and Resolved, when ESCALATION_CHANNEL is set."""
    if deps.people is None:
        return
    app.action(blocks.ESCALATE_ACTION)(partial(on_ask_person, deps.people))
    app.action(RESOLVE_ACTION)(partial(on_resolved, deps.people))
