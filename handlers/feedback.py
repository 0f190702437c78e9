"""👍/👎 under answers, and the modal a 👎 opens to ask what was wrong or missing.

A rating is recorded at the click, once per person and answer; a 👎 then opens the modal
(``views.open`` with the click's ``trigger_id``), whose submission adds the reason.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import notices
from bot.deps import Deps
from bot.insights.feedback import FeedbackLog
from bot.slack import blocks
from bot.slack.feedback import REASON_CALLBACK, NotHelpful, RatedAnswer, reason_of
from bot.slack.permalinks import Conversation
from bot.slack.private import tell_privately
from bot.slack.replies import Replies
from handlers.actions import Click, click_of


def rated_answer(click: Click, body: dict[str, Any]) -> RatedAnswer:
    """What the 👎 modal must remember of the click."""
    where = Conversation(
        channel=click.channel,
        message_ts=click.message_ts,
        thread=click.thread,
        private=click.private,
        domain=(body.get("team") or {}).get("domain"),
    )
    return RatedAnswer(click.team, click.value, click.user, where, body.get("response_url"))


async def on_feedback(
    replies: Replies,
    feedback: FeedbackLog,
    not_helpful: NotHelpful,
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
) -> None:
    """Record 👍/👎 once per person and answer; a first 👎 asks why in a modal."""
    await ack()
    click = click_of(body)
    if click is None:
        return
    helpful = click.action_id == blocks.HELPFUL_ACTION
    first = await feedback.record(
        answer_id=click.value,
        rater=click.user,
        helpful=helpful,
        question=await replies.question_of(click.team, click.value),
    )
    if not first:
        await tell_privately(respond, notices.FEEDBACK_ALREADY)
        return
    trigger = body.get("trigger_id")
    if helpful or not trigger or not await not_helpful.ask_why(rated_answer(click, body), trigger):
        await tell_privately(respond, notices.FEEDBACK_THANKS)


async def on_reason(
    not_helpful: NotHelpful, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    """Keep what the person wrote with their 👎 (and pass it on to GitBook when enabled)."""
    await ack()  # closes the modal; what follows is told privately in the conversation
    rated = RatedAnswer.decode(str(view.get("private_metadata") or ""))
    user = (body.get("user") or {}).get("id")
    if rated is None or user != rated.rater:
        return  # not a modal this bot opened for this person
    await not_helpful.reason_given(rated, reason_of(view))


def register(app: AsyncApp, deps: Deps) -> None:
    """Register the rating buttons and the 👎 modal."""
    rate = partial(on_feedback, deps.replies, deps.feedback, deps.not_helpful)
    app.action(blocks.HELPFUL_ACTION)(rate)
    app.action(blocks.NOT_HELPFUL_ACTION)(rate)
    app.view(REASON_CALLBACK)(partial(on_reason, deps.not_helpful))
