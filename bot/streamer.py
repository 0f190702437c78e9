"""Streams an answer into one Slack reply: a placeholder, edits as it grows, a final edit.

The streamer knows Slack and our answer updates, nothing of GitBook. Edits are paced
(at most one per ``edit_interval`` per reply, fewer when the workspace budget is low),
never overlap and never go out of order; the final edit always lands, or the final
answer is posted anew and the placeholder removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.budget import EditBudget
from bot.errors import SlackDeliveryError
from bot.messages import SlackMessage
from bot.models import Answer, AnswerUpdate, Draft

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply goes: a channel (or DM) and the thread, if any."""

    channel: str
    thread_ts: str | None
    workspace: str


@dataclass
class _Progress:
    """Shared between the reader of updates and the editor task."""

    draft: Draft | None = None
    shown: Draft | None = None
    closed: bool = False

    def __post_init__(self) -> None:
        self.changed = asyncio.Event()
        self.finished = asyncio.Event()


class Streamer:
    """Delivers answer updates as one growing Slack reply."""

    def __init__(
        self, client: AsyncWebClient, budget: EditBudget, *, edit_interval: float = 1.0
    ) -> None:
        self._client = client
        self._budget = budget
        self._interval = edit_interval
        self._status_enabled = True

    async def post(self, target: ReplyTarget, message: SlackMessage) -> str:
        """Post a new message in the target's thread; return its ts."""
        try:
            response = await self._client.chat_postMessage(
                channel=target.channel,
                thread_ts=target.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                **message.as_kwargs(),
            )
        except SlackApiError as exc:
            raise SlackDeliveryError(
                "chat.postMessage", str(exc.response.get("error")), channel=target.channel
            ) from exc
        return str(response["ts"])

    async def whisper(self, target: ReplyTarget, user: str, text: str) -> bool:
        """Best effort: an ephemeral note to user in the target channel; say if it landed."""
        try:
            await self._client.chat_postEphemeral(channel=target.channel, user=user, text=text)
        except SlackApiError as exc:
            logger.info("could not tell the asker either: %s", exc.response.get("error"))
            return False
        return True

    async def stream(
        self,
        target: ReplyTarget,
        updates: AsyncIterator[AnswerUpdate],
        *,
        existing_ts: str | None = None,
    ) -> Answer:
        """Show updates in one reply (posting a placeholder unless existing_ts is given)."""
        if existing_ts is None and not (await self._budget.plan(target.workspace)).streamed:
            return await self._deliver_once(target, updates)
        ts = existing_ts or await self.post(target, messages.placeholder())
        await self._set_status(target, messages.STATUS_TEXT)
        progress = _Progress()
        editor = asyncio.create_task(self._edit_drafts(target, ts, progress))
        try:
            final = await self._read(updates, progress)
        except BaseException as exc:
            await self._stop_editor(editor, progress)
            # Keep what the asker already read; say the answer stopped there.
            shown = progress.shown.markdown if progress.shown else None
            notice = messages.interrupted(shown, restarting=isinstance(exc, asyncio.CancelledError))
            await self._edit_or_repost(target, ts, [notice])
            raise
        finally:
            await self._set_status(target, "")
        await self._stop_editor(editor, progress)
        await self._edit_or_repost(target, ts, messages.answer_messages(final))
        return final

    async def _deliver_once(
        self, target: ReplyTarget, updates: AsyncIterator[AnswerUpdate]
    ) -> Answer:
        # Under load: no placeholder and no edits, one post of the complete answer.
        await self._set_status(target, messages.STATUS_TEXT)
        try:
            final = await self._read(updates, _Progress())
        except BaseException as exc:
            restarting = isinstance(exc, asyncio.CancelledError)
            await self.post(target, messages.interrupted(None, restarting=restarting))
            raise
        finally:
            await self._set_status(target, "")
        for message in messages.answer_messages(final):
            await self.post(target, message)
        return final

    async def _set_status(self, target: ReplyTarget, status: str) -> None:
        # The thread's "is searching…" line; only DM threads, and only while Slack allows it.
        if not (self._status_enabled and target.thread_ts and target.channel.startswith("D")):
            return
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=target.channel, thread_ts=target.thread_ts, status=status
            )
        except SlackApiError as exc:
            logger.info(
                "thread status unavailable (%s); not trying again", exc.response.get("error")
            )
            self._status_enabled = False

    async def _read(self, updates: AsyncIterator[AnswerUpdate], progress: _Progress) -> Answer:
        async for update in updates:
            if isinstance(update, Answer):
                return update
            progress.draft = update
            progress.changed.set()
        raise RuntimeError("the answer stream ended without a final answer")

    async def _stop_editor(self, editor: asyncio.Task[None], progress: _Progress) -> None:
        progress.closed = True
        progress.finished.set()
        progress.changed.set()
        await editor

    async def _edit_drafts(self, target: ReplyTarget, ts: str, progress: _Progress) -> None:
        while True:
            await progress.changed.wait()
            progress.changed.clear()
            draft = progress.draft
            if progress.closed:
                return
            if draft is None or draft is progress.shown:
                continue
            if await self._budget.try_edit(target.workspace):
                await self._edit_draft(target, ts, draft)
                progress.shown = draft
            await self._pause(progress)

    async def _edit_draft(self, target: ReplyTarget, ts: str, draft: Draft) -> None:
        try:
            await self._update(target, ts, messages.draft(draft.markdown))
        except SlackApiError as exc:
            # An intermediate edit may be lost; the final edit carries the whole answer.
            logger.warning("intermediate edit skipped: %s", exc.response.get("error"))

    async def _pause(self, progress: _Progress) -> None:
        try:
            async with asyncio.timeout(self._interval):
                await progress.finished.wait()
        except TimeoutError:
            return

    async def _update(self, target: ReplyTarget, ts: str, message: SlackMessage) -> None:
        await self._client.chat_update(channel=target.channel, ts=ts, **message.as_kwargs())

    async def _edit_or_repost(
        self, target: ReplyTarget, ts: str, final: list[SlackMessage]
    ) -> None:
        try:
            await self._update(target, ts, final[0])
        except SlackApiError as exc:
            logger.warning(
                "final edit refused (%s); posting the answer anew", exc.response.get("error")
            )
            await self._replace(target, ts, final[0])
        thread = target.thread_ts
        for message in final[1:]:
            await self.post(ReplyTarget(target.channel, thread, target.workspace), message)

    async def _replace(self, target: ReplyTarget, ts: str, message: SlackMessage) -> None:
        await self.post(target, message)
        try:
            await self._client.chat_delete(channel=target.channel, ts=ts)
        except SlackApiError as exc:
            logger.warning(
                "could not remove the superseded placeholder: %s", exc.response.get("error")
            )
