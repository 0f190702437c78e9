"""Buttons under answers: follow-up questions, Refresh and Share."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack import blocks as messages
from bot.slack.delivery.streamer import ReplyTarget

FOLLOWUP_PATTERN = re.compile(rf"^{messages.FOLLOWUP_ACTION}_\d+$")
EXPIRED = "That answer is too old to refresh. Please ask the question again."
THANKS = "Thanks for the feedback! It helps the docs team improve the docs."
ALREADY_RATED = "You already rated this answer."


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value") or "")


def _where(body: dict[str, Any]) -> tuple[str, str, str | None, bool]:
    """Return (workspace, channel, thread ts of the clicked message, is ephemeral)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    team = str((body.get("team") or {}).get("id") or body.get("user", {}).get("team_id") or "")
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    thread = message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts")
    return team, channel, thread, bool(container.get("is_ephemeral"))


def _asker(body: dict[str, Any], team: str, channel: str, thread: str | None) -> Asker:
    return Asker(workspace=team, user=str(body["user"]["id"]), conversation=f"{channel}:{thread}")


def register(app: AsyncApp, deps: Deps) -> None:
    """Register the button handlers."""

    async def on_followup(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team, channel, thread, private = _where(body)
        question = Question(text=_value(body), asker=_asker(body, team, channel, thread))
        if private:
            await deps.replies.privately(question, respond)
            return
        target = ReplyTarget(channel, thread, team, user=question.asker.user)
        await deps.replies.in_thread(question, target)

    async def on_refresh(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team, channel, thread, private = _where(body)
        text = await deps.replies.question_of(_value(body))
        if text is None:
            await respond(text=EXPIRED, response_type="ephemeral", replace_original=False)
            return
        question = Question(text=text, asker=_asker(body, team, channel, thread), refresh=True)
        if private:
            await deps.replies.privately(question, respond, replace=True)
            return
        message_ts = str((body.get("container") or {}).get("message_ts"))
        target = ReplyTarget(channel, thread, team, user=question.asker.user)
        await deps.replies.in_thread(question, target, existing_ts=message_ts)

    async def on_share(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team, channel, _, _ = _where(body)
        target = ReplyTarget(channel, None, team)
        await deps.replies.share(_value(body), target, str(body["user"]["id"]), respond)

    async def on_feedback(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        answer_id = _value(body)
        first = await deps.feedback.record(
            answer_id=answer_id,
            rater=str(body["user"]["id"]),
            helpful=body["actions"][0]["action_id"] == messages.HELPFUL_ACTION,
            question=await deps.replies.question_of(answer_id),
        )
        text = THANKS if first else ALREADY_RATED
        await respond(text=text, response_type="ephemeral", replace_original=False)

    app.action(FOLLOWUP_PATTERN)(on_followup)
    app.action(messages.HELPFUL_ACTION)(on_feedback)
    app.action(messages.NOT_HELPFUL_ACTION)(on_feedback)
    app.action(messages.REFRESH_ACTION)(on_refresh)
    app.action(messages.SHARE_ACTION)(on_share)
