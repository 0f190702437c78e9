"""Private answers: sent whole through a response_url (Slack cannot edit an ephemeral
message), and closed with what was written when cut short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import ReplyClosed, SlackDeliveryError
from bot.models import Answer, AnswerUpdate, Draft
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage


class PrivateReply:
    """Sends private messages through a response_url, in a thread when one is given."""

    def __init__(self, respond: AsyncRespond, thread_ts: str | None) -> None:
        self._respond = respond
        self._thread_ts = thread_ts

    async def __call__(self, message: SlackMessage, *, replace: bool = False) -> None:
        await send_private(self._respond, message, replace=replace, thread_ts=self._thread_ts)


async def final_silently(updates: AsyncIterator[AnswerUpdate]) -> Answer:
    """The final answer, drafts skipped (nothing is shown until there is an answer)."""
    async for update in updates:
        if isinstance(update, Answer):
            return update
    raise RuntimeError("the answer stream ended without a final answer")


async def final_or_closed(
    updates: AsyncIterator[AnswerUpdate], send: PrivateReply, *, replace: bool
) -> Answer:
    """The final answer; cut short (shutdown, a failure), the asker gets what was written.

    A private answer is one message sent at the end, so without this the last thing the
    asker saw would stay "Searching the docs…".
    """
    latest: Draft | None = None
    try:
        async for update in updates:
            if isinstance(update, Answer):
                return update
            latest = update
        raise RuntimeError("the answer stream ended without a final answer")
    except BaseException as exc:
        shown = latest.markdown if latest else None
        restarting = isinstance(exc, asyncio.CancelledError)
        await send(messages.interrupted(shown, restarting=restarting), replace=replace)
        if isinstance(exc, Exception):
            raise ReplyClosed("private answer closed after a failure") from exc
        raise


async def tell_privately(respond: AsyncRespond, text: str) -> None:
    """A short private note to whoever clicked or typed (best effort: nothing waits on it)."""
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def send_private(
    respond: AsyncRespond,
    message: SlackMessage,
    *,
    replace: bool = False,
    thread_ts: str | None = None,
) -> None:
    response = await respond(
        **message.as_kwargs(),
        response_type="ephemeral",
        replace_original=replace,
        thread_ts=thread_ts,
    )
    status = getattr(response, "status_code", 200)
    if status >= 300:
        raise SlackDeliveryError("response_url", f"HTTP {status}")
