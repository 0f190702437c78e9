"""What the mention and DM surfaces share: filtering and answering one user message."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.models import Asker, Question
from bot.slack.delivery.streamer import ReplyTarget
from bot.slack.inbound import question_text

# Subtypes that are a person's new message; everything else (edits, deletes, joins,
# bot messages, thread broadcasts) must never trigger an answer.
USER_MESSAGE_SUBTYPES = frozenset({None, "file_share"})


def is_user_message(event: dict[str, Any]) -> bool:
    """A new message written by a person (not a bot, not an edit or a join)."""
    return (
        event.get("subtype") in USER_MESSAGE_SUBTYPES
        and not event.get("bot_id")
        and isinstance(event.get("user"), str)
        and isinstance(event.get("ts"), str)
    )


async def _first_delivery(
    deps: Deps, body: dict[str, Any], team: str, channel: str, ts: str
) -> bool:
    # Claimed after the ack, so Slack never waits on the store: a retry of this event
    # (same event_id), or its twin (app_mention + message: same channel and ts), loses.
    event_id = str(body.get("event_id") or "")
    if event_id and not await deps.dedupe.first_time("event", event_id):
        return False
    return await deps.dedupe.first_time("message", team, channel, ts)


async def answer_message(
    deps: Deps,
    body: dict[str, Any],
    context: AsyncBoltContext,
    *,
    thread_ts: str | None,
) -> None:
    """Answer one user message once, however many times Slack delivers it."""
    event = body["event"]
    team = context.team_id or str(event.get("team") or "")
    channel, ts = str(event["channel"]), str(event["ts"])
    if not await _first_delivery(deps, body, team, channel, ts):
        return
    text = question_text(str(event.get("text") or ""), context.bot_user_id)
    asker = Asker(
        workspace=team, user=str(event["user"]), conversation=f"{channel}:{thread_ts or ts}"
    )
    # The asker is a native stream's recipient; a top-level DM may be threaded under ts.
    target = ReplyTarget(channel, thread_ts, team, user=asker.user, question_ts=ts)
    await deps.replies.in_thread(Question(text=text, asker=asker), target)
