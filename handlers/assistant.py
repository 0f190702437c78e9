"""Slack's assistant pane: suggested prompts, thread titles, and answers in its threads.

- Agent experience (`features.agent_view`): opening the Messages tab (`app_home_opened`
  with `tab: "messages"`, served by ``handlers.app_home``) sets suggested prompts for that
  DM with **no** `thread_ts` (Slack silently ignores the call otherwise, docs/slack.md §10),
  at most once per user and hour. Messages there are DMs, answered by
  ``handlers.direct_message``.
- Legacy experience (`features.assistant_view`): `assistant_thread_started` sets the same
  prompts for that thread (every thread start) and marks the thread; a person's message in
  a DM thread is answered in the thread exactly like any DM thread (status, native stream,
  sources, follow-ups, thread context, feedback), and a marked thread is named after its
  first question with `assistant.threads.setTitle`.

Why not Bolt's ``AsyncAssistant``: its middleware takes every DM message with a
`thread_ts` (``is_user_message_event_in_assistant_thread``) into its own listener chain,
ahead of our handlers, so the exactly-once claim (``handlers.user_messages.first_delivery``:
event id, then team + channel + ts) would have to be repeated inside it, and its default
thread-context store reads threads with `conversations.replies` (Tier 1 for new apps,
docs/slack.md §3) where the bot keeps thread history itself. Plain listeners reuse
``answer_message`` as is, so one message still gets exactly one reply.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.deps import Deps
from bot.insights.prompts import SuggestedPrompts
from bot.slack.guards import Deduplicator
from bot.slack.inbound import question_text
from bot.slack.replies import Replies
from bot.store import Store
from handlers.user_messages import answer_message, is_user_message, workspace_of

logger = logging.getLogger(__name__)

THREAD_STARTED = "assistant_thread_started"
MESSAGE_EVENT = "message"
MESSAGES_TAB_PROMPTS_TTL_SECONDS = 3600  # at most once per user and hour
THREAD_TTL_SECONDS = 7 * 24 * 3600  # how long a started thread waits for its first question
PROMPT_TITLE_LIMIT = 75  # a prompt's title is a short label; its message is the question
THREAD_TITLE_LIMIT = 80


def prompt_payload(prompts: tuple[str, ...]) -> list[dict[str, str]]:
    """Prompts as setSuggestedPrompts takes them: a short title, the full question."""
    return [
        {
            "title": p if len(p) <= PROMPT_TITLE_LIMIT else p[: PROMPT_TITLE_LIMIT - 1] + "…",
            "message": p,
        }
        for p in prompts
    ]


async def suggest_prompts(
    client: AsyncWebClient,
    prompts: SuggestedPrompts,
    user: str,
    channel: str,
    thread_ts: str | None = None,
) -> None:
    """Best effort: show user's prompts in channel (and thread_ts, legacy threads only)."""
    chosen = await prompts.for_user(user)
    thread = {"thread_ts": thread_ts} if thread_ts else {}
    try:
        await client.assistant_threads_setSuggestedPrompts(
            channel_id=channel,
            title=notices.PROMPTS_TITLE,
            prompts=prompt_payload(chosen),
            **thread,
        )
    except SlackApiError as exc:
        # Not an assistant app here (plan, tab disabled, missing assistant:write): the
        # pane still works without prompts; nobody is waiting for a reply.
        logger.info("suggested prompts not set: %s", exc.response.get("error"))


async def on_messages_tab(
    prompts: SuggestedPrompts,
    store: Store,
    client: AsyncWebClient,
    event: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """The Messages tab opened: the user's prompts, at most once per user and hour."""
    user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
    team = context.team_id or ""
    key = f"docsbot:prompts:{team}:{user}"
    if not (user and channel) or not await store.add(key, "1", MESSAGES_TAB_PROMPTS_TTL_SECONDS):
        return
    await suggest_prompts(client, prompts, user, channel)  # no thread_ts: the agent view


async def on_thread_started(
    prompts: SuggestedPrompts,
    store: Store,
    client: AsyncWebClient,
    event: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """A legacy assistant thread started: remember it and show its prompts."""
    thread = event.get("assistant_thread") or {}
    user, channel = str(thread.get("user_id") or ""), str(thread.get("channel_id") or "")
    thread_ts = str(thread.get("thread_ts") or "")
    if not (user and channel and thread_ts):
        return
    await store.set(_thread_key(context.team_id or "", channel, thread_ts), "1", THREAD_TTL_SECONDS)
    await suggest_prompts(client, prompts, user, channel, thread_ts)


async def is_dm_thread_message_from_person(event: dict[str, Any]) -> bool:
    """A person's new message in a DM thread (a legacy assistant thread, or any DM thread)."""
    return (
        event.get("channel_type") == "im"
        and bool(event.get("thread_ts"))
        and (is_user_message(event))
    )


async def on_thread_message(
    replies: Replies,
    dedupe: Deduplicator,
    store: Store,
    client: AsyncWebClient,
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    """Name a new assistant thread after its first question, then answer in the thread."""
    await _name_thread(store, client, event, workspace_of(event, context), context.bot_user_id)
    await answer_message(
        replies, dedupe, body, context, thread_ts=str(event["thread_ts"]), surface="assistant"
    )


async def _name_thread(
    store: Store, client: AsyncWebClient, event: dict[str, Any], team: str, bot: str | None
) -> None:
    channel, thread_ts = str(event["channel"]), str(event["thread_ts"])
    key = _thread_key(team, channel, thread_ts)
    if await store.get(key) is None:
        return  # not an assistant thread the bot saw start
    title = question_text(str(event.get("text") or ""), bot)[:THREAD_TITLE_LIMIT]
    if not title or not await store.add(key + ":titled", "1", THREAD_TTL_SECONDS):
        return
    try:
        await client.assistant_threads_setTitle(
            channel_id=channel, thread_ts=thread_ts, title=title
        )
    except SlackApiError as exc:
        logger.info("thread title not set: %s", exc.response.get("error"))


def _thread_key(team: str, channel: str, thread_ts: str) -> str:
    return f"docsbot:assistant:{team}:{channel}:{thread_ts}"


def register(app: AsyncApp, deps: Deps) -> None:
    """Legacy assistant threads: prompts at start, a title, answers (before DMs)."""
    app.event(THREAD_STARTED)(partial(on_thread_started, deps.prompts, deps.store, deps.slack))
    app.event(MESSAGE_EVENT, matchers=[is_dm_thread_message_from_person])(
        partial(on_thread_message, deps.replies, deps.dedupe, deps.store, deps.slack)
    )
