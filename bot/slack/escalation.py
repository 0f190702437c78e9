"""Ask a person: an answer handed to people in ESCALATION_CHANNEL, and their ✅ Resolved.

The escalation message holds the question, who asked, the first lines of the bot's answer and
a link to the conversation (``chat.getPermalink``; a private answer has no message to link, so
it says where it was asked). The asker's thread (or the asker privately) hears when people were
asked and when they resolved it. One escalation per answer (``EscalationLog.claim``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.answers.cache import AnswerArchive
from bot.insights.escalations import Escalation, EscalationLog
from bot.models import Answer, Outcome
from bot.slack.blocks import SlackMessage
from bot.slack.delivery.writer import UNREACHABLE_CHANNEL
from bot.slack.markdown import escape_mrkdwn
from bot.slack.permalinks import Conversation, conversation_link
from bot.slack.private import tell_privately

logger = logging.getLogger(__name__)

RESOLVE_ACTION = "docsbot_escalation_resolved"
ACTIONS_BLOCK = "docsbot_escalation"
EXCERPT_LINES = 4
EXCERPT_CHARS = 600


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """A click on Ask a person: which answer, by whom, where it was shown."""

    workspace: str
    answer_id: str
    user: str
    where: Conversation


def excerpt(answer: Answer) -> str:
    """The first lines of the bot's answer, as a mrkdwn quote."""
    if answer.outcome is Outcome.NO_ANSWER:
        return f">{notices.NO_ANSWER}"
    lines = [line.strip() for line in answer.markdown.splitlines() if line.strip()]
    text = "\n".join(lines[:EXCERPT_LINES])
    if len(text) > EXCERPT_CHARS or len(lines) > EXCERPT_LINES:
        text = text[: EXCERPT_CHARS - 1] + "…"
    return "\n".join(f">{escape_mrkdwn(line)}" for line in text.splitlines())


def escalation_message(escalation: Escalation, answer: Answer, link: str | None) -> SlackMessage:
    """The message people see in the escalation channel, with ✅ Resolved."""
    question = escape_mrkdwn(" ".join(escalation.question.split()))[:500]
    request = notices.escalation_request(f"<@{escalation.asker}>", question)
    opened = notices.escalation_link(link) if link else ""
    if escalation.private:  # no message to link: say where, and link the thread or channel
        opened = f"{notices.escalation_private(f'<#{escalation.channel}>')} {opened}".strip()
    blocks: list[Block] = [
        _section(request),
        _section(f"{notices.ESCALATION_ANSWER_HEADING}\n{excerpt(answer)}"),
    ]
    if opened:
        blocks.append(_context(opened))
    button = ButtonElement(
        text=notices.RESOLVED_BUTTON,
        action_id=RESOLVE_ACTION,
        value=escalation.answer_id,
        style="primary",
    )
    blocks.append(ActionsBlock(block_id=ACTIONS_BLOCK, elements=[button]))
    return SlackMessage(
        text=f"{notices.ASK_PERSON_BUTTON}: {escalation.question}"[:3000],
        blocks=[b.to_dict() for b in blocks],
    )


def resolved_message(shown: dict[str, Any], escalation: Escalation) -> SlackMessage:
    """The escalation message once resolved: the same, without its button, saying who and when."""
    kept = [b for b in shown.get("blocks") or [] if b.get("block_id") != ACTIONS_BLOCK]
    at = int(escalation.resolved_at or 0)
    when = f"<!date^{at}^{{date_short_pretty}} at {{time}}|at {at}>"  # shown in the reader's zone
    line = notices.escalation_resolved(f"<@{escalation.resolved_by}>", when)
    text = str(shown.get("text") or notices.RESOLVED_BUTTON)
    return SlackMessage(text=text, blocks=[*kept, _context(line).to_dict()])


class People:
    """Hands answers to people in one channel, and tells the asker how it goes."""

    def __init__(
        self, slack: AsyncWebClient, archive: AnswerArchive, log: EscalationLog, channel: str
    ) -> None:
        self._slack = slack
        self._archive = archive
        self._log = log
        self.channel = channel

    async def escalate(self, request: EscalationRequest, respond: AsyncRespond) -> None:
        """Post the escalation (once per answer), then tell the asker people were asked."""
        archived = await self._archive.load(request.workspace, request.answer_id)
        if archived is None:
            return await tell_privately(respond, notices.ESCALATION_EXPIRED)
        if archived.asker.user != request.user:
            return await tell_privately(respond, notices.NOT_YOURS)
        where = request.where
        escalation = Escalation(
            workspace=request.workspace,
            answer_id=request.answer_id,
            question=archived.answer.question,
            asker=request.user,
            channel=where.channel,
            thread=where.thread,
            private=where.private,
            at=self._log.now(),
        )
        if not await self._log.claim(escalation):
            return await tell_privately(respond, notices.ESCALATION_ALREADY)
        link = await conversation_link(self._slack, where)
        message = escalation_message(escalation, archived.answer, link)
        try:
            posted = await self._slack.chat_postMessage(channel=self.channel, **message.as_kwargs())
        except SlackApiError as exc:
            await self._log.failed(escalation)
            error = exc.response.get("error")
            if error not in UNREACHABLE_CHANNEL:
                raise
            logger.warning("cannot post in the escalation channel %s: %s", self.channel, error)
            return await tell_privately(respond, notices.ESCALATION_UNREACHABLE)
        ts = str(posted["ts"])
        own = await conversation_link(self._slack, Conversation(self.channel, ts, ts, False))
        await self._log.posted(replace(escalation, message_ts=ts, link=own))
        await self._tell_asker(escalation, notices.escalated_note(f"<#{self.channel}>"), respond)

    async def resolve(
        self, workspace: str, answer_id: str, resolver: str, shown: dict[str, Any]
    ) -> str | None:
        """Mark resolved, edit the escalation, tell the asker; else say why not (for resolver)."""
        escalation = await self._log.resolve(workspace, answer_id, resolver)
        if escalation is None:
            return notices.ESCALATION_ALREADY_RESOLVED
        message = resolved_message(shown, escalation)
        ts = escalation.message_ts or str(shown.get("ts"))
        await self._slack.chat_update(channel=self.channel, ts=ts, **message.as_kwargs())
        note = notices.resolved_note(f"<@{resolver}>", escape_mrkdwn(escalation.question))
        if not escalation.private:
            note = f"<@{escalation.asker}> {note}"  # in a shared thread: say whose question
        await self._tell_asker(escalation, note, None)
        return None

    async def _tell_asker(
        self, escalation: Escalation, text: str, respond: AsyncRespond | None
    ) -> None:
        """In the asker's thread; privately for a private answer (ephemeral, else their DM)."""
        if escalation.private and respond is not None:
            return await tell_privately(respond, text)
        # A DM from the bot (channel = the user's id) reaches them wherever they asked.
        channel = escalation.asker if escalation.private else escalation.channel
        thread = None if escalation.private else escalation.thread
        try:
            await self._slack.chat_postMessage(channel=channel, thread_ts=thread, text=text)
        except SlackApiError as exc:
            logger.warning("could not tell the asker in %s: %s", channel, exc.response.get("error"))
            if respond is not None:
                await tell_privately(respond, text)


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:3000]))


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn[:3000])])
