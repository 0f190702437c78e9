"""What the mention and DM surfaces share: which events a person sent, and answering one once."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.models import Asker, Question
from bot.slack.delivery.streamer import ReplyTarget
from bot.slack.guards import RETRY_NUM, Deduplicator
from bot.slack.inbound import question_text
from bot.slack.replies import Replies

# Subtypes that are a person's new message. A thread reply "also sent to the channel"
# arrives *instead of* the plain message (docs/slack.md §6), so it is answered too;
# edits, deletes, joins and bot messages never are.
USER_MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def is_user_message(event: dict[str, Any]) -> bool:
    """A new message written by a person (not a bot, an edit, a re-delivery or a join)."""
    return (
        event.get("subtype") in USER_MESSAGE_SUBTYPES
        and not event.get("bot_id")
        and isinstance(event.get("user"), str)
        and isinstance(event.get("ts"), str)
        # Slack re-delivers an edited mention as a new app_mention with `edited` and the
        # original ts: the mention was answered when it was first sent.
        and "edited" not in event
    )


def workspace_of(event: dict[str, Any], context: AsyncBoltContext) -> str:
    """The workspace that installed the bot and received the event (not a Connect guest's)."""
    return context.team_id or str(event.get("team") or "")


async def first_delivery(
    dedupe: Deduplicator, body: dict[str, Any], team: str, *, retry: bool = False
) -> bool:
    """Claim the event once: a retry (same event_id) or a twin (same channel and ts) loses.

    Claimed after the ack, so Slack never waits on the store.
    """
    event = body["event"]
    event_id = str(body.get("event_id") or "")
    if event_id and not await dedupe.first_time("event", event_id, retry=retry):
        return False
    ids = (team, str(event["channel"]), str(event["ts"]))
    return await dedupe.first_time("message", *ids, retry=retry)


async def answer_message(
    replies: Replies,
    dedupe: Deduplicator,
    body: dict[str, Any],
    context: AsyncBoltContext,
    *,
    thread_ts: str | None,
    surface: str,
) -> None:
    """Answer one user message once, however many times Slack delivers it."""
    with replies.accepted():  # from the ack on: a shutdown waits for it, de-duplication too
        await _answer_once(replies, dedupe, body, context, thread_ts=thread_ts, surface=surface)


async def _answer_once(
    replies: Replies,
    dedupe: Deduplicator,
    body: dict[str, Any],
    context: AsyncBoltContext,
    *,
    thread_ts: str | None,
    surface: str,
) -> None:
    event = body["event"]
    team = workspace_of(event, context)
    retry = bool(context.get(RETRY_NUM))
    if not await first_delivery(dedupe, body, team, retry=retry):
        return
    channel, ts = str(event["channel"]), str(event["ts"])
    text = question_text(str(event.get("text") or ""), context.bot_user_id)
    asker = Asker(
        workspace=team, user=str(event["user"]), conversation=f"{channel}:{thread_ts or ts}"
    )
    # The asker is a native stream's recipient; a top-level DM may be threaded under ts.
    target = ReplyTarget(channel, thread_ts, team, user=asker.user, question_ts=ts)
    await replies.in_thread(Question(text=text, asker=asker, surface=surface), target)


async def ignore(body: dict[str, Any]) -> None:
    """Acknowledged (so Slack does not retry), not answered."""
