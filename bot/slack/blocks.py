"""What the asker sees in Slack: placeholder, drafts, final answers, notices.

Answers go in `markdown` blocks (standard Markdown, rendered by Slack); sources and
labels are mrkdwn, escaped. Limits: markdown blocks share 12,000 characters per message,
a section holds 3,000, a button label 75 and its value 2,000.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.errors import BotError
from bot.models import Answer, Outcome
from bot.slack.markdown import (
    defang,
    escape_mrkdwn,
    heal_partial,
    mrkdwn_link,
    split_for_slack,
    tables_to_code,
)

MARKDOWN_PIECE_LIMIT = 10_000  # of the 12,000 shared by markdown blocks, leaving room for the rest
FALLBACK_TEXT_LIMIT = 3_000  # `text` is only the notification; chat.update refuses > 4,000
BUTTON_LABEL_LIMIT = 75
FOLLOWUP_ACTION = "docsbot_followup"
REFRESH_ACTION = "docsbot_refresh"
SHARE_ACTION = "docsbot_share"
HELPFUL_ACTION = "docsbot_feedback_helpful"
NOT_HELPFUL_ACTION = "docsbot_feedback_not_helpful"
PLACEHOLDER_TEXT = "🔎 Searching the docs…"
WRITING_TEXT = "✍️ Writing…"
STATUS_TEXT = "is searching the docs…"
# The thread status of a reply waiting behind Slack's per-channel posting limit.
QUEUED_STATUS = "is queued behind Slack's rate limits; the answer follows shortly…"
GENERIC_ERROR = "Sorry, something went wrong while answering. Please try again."
RESTART_NOTICE = "The bot restarted before finishing this answer. Please try again."


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message payload: notification text plus blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Return the arguments for chat.postMessage / chat.update / respond."""
        return {"text": self.text, "blocks": self.blocks}


def _message(text: str, blocks: list[Block]) -> SlackMessage:
    return SlackMessage(text=text[:FALLBACK_TEXT_LIMIT], blocks=[b.to_dict() for b in blocks])


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn[:3000])])


def notice(text: str) -> SlackMessage:
    """A short plain notice (usage help, limits, errors)."""
    return _message(text, [SectionBlock(text=MarkdownTextObject(text=text[:3000]))])


def error_notice(error: BotError | None = None) -> SlackMessage:
    """The message an asker sees for an error: the one place errors become text."""
    return notice(error.user_message if error is not None else GENERIC_ERROR)


def interrupted(shown_markdown: str | None, *, restarting: bool) -> SlackMessage:
    """A reply that stopped before its answer was complete (shutdown, or a bug)."""
    text = RESTART_NOTICE if restarting else GENERIC_ERROR
    if not shown_markdown:
        return notice(text)
    body = draft(shown_markdown).blocks[0]["text"]
    return _message(text, [MarkdownBlock(text=body), _context(f"⚠️ {text}")])


def placeholder() -> SlackMessage:
    """The reply posted at once, before GitBook has written anything."""
    return _message(PLACEHOLDER_TEXT, [_context(PLACEHOLDER_TEXT)])


def display_markdown(markdown: str, *, partial: bool) -> str:
    """Make answer markdown safe and well-formed for a Slack markdown block."""
    text = heal_partial(markdown) if partial else markdown
    return defang(tables_to_code(text))


def draft(markdown: str) -> SlackMessage:
    """An intermediate edit: the answer so far, within one message's limits."""
    pieces = split_for_slack(display_markdown(markdown, partial=True), MARKDOWN_PIECE_LIMIT)
    body = pieces[0] + ("\n\n…" if len(pieces) > 1 else "") if pieces else PLACEHOLDER_TEXT
    return _message(body, [MarkdownBlock(text=body), _context(WRITING_TEXT)])


def format_age(seconds: float) -> str:
    """Say how old something is, in words."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    return f"{hours // 24} days ago"


def answer_messages(
    answer: Answer, *, private: bool = False, asked_by: str | None = None, now: float | None = None
) -> list[SlackMessage]:
    """The final reply: the answer split into messages, the last one with sources and buttons."""
    pieces = _answer_pieces(answer)
    messages = [_message(piece, [MarkdownBlock(text=piece)]) for piece in pieces[:-1]]
    last: list[Block] = [MarkdownBlock(text=pieces[-1])] if pieces[-1] else []
    last += _footer(answer, private=private, asked_by=asked_by, now=now)
    messages.append(_message(pieces[-1] or _fallback_text(answer), last))
    return messages


@dataclass(frozen=True, slots=True)
class StreamedFinal:
    """The final reply as a native stream ends it: its first message's text, the blocks
    under it (sources and buttons when the answer fits one message), the messages after it."""

    body: str
    blocks: list[dict[str, Any]]
    rest: list[SlackMessage]


def streamed_final(answer: Answer, *, now: float | None = None) -> StreamedFinal:
    """The final reply for a native stream: the same pieces and footer as answer_messages."""
    pieces = _answer_pieces(answer)
    replies = answer_messages(answer, now=now)
    first = replies[0].blocks
    blocks = first[1:] if pieces[0] else first  # the first block is pieces[0], streamed
    return StreamedFinal(pieces[0], blocks, replies[1:])


def stopped_notice(*, restarting: bool) -> list[dict[str, Any]]:
    """The blocks that end a native stream cut short (shutdown, or a bug)."""
    return [_context(f"⚠️ {RESTART_NOTICE if restarting else GENERIC_ERROR}").to_dict()]


def _answer_pieces(answer: Answer) -> list[str]:
    body = display_markdown(answer.markdown, partial=False)
    if answer.outcome is Outcome.NO_ANSWER:
        body = _no_answer_text(answer)
    return split_for_slack(body, MARKDOWN_PIECE_LIMIT) or [""]


def _no_answer_text(answer: Answer) -> str:
    text = "I couldn't find an answer to that in the docs."
    if answer.search_url:
        text += f" You can [search the docs]({answer.search_url}) yourself."
    return text


def _fallback_text(answer: Answer) -> str:
    return answer.notice or _no_answer_text(answer)


def _footer(
    answer: Answer, *, private: bool, asked_by: str | None, now: float | None
) -> list[Block]:
    blocks: list[Block] = []
    if answer.notice:
        blocks.append(_context(f"⚠️ {escape_mrkdwn(answer.notice)}"))
    if answer.sources:
        blocks.append(_sources_block(answer))
    if asked_by:
        blocks.append(_context(f"Asked by <@{asked_by}>: {escape_mrkdwn(answer.question)}"))
    if answer.cached_at is not None:
        age = format_age((now if now is not None else time.time()) - answer.cached_at)
        blocks.append(_context(f"🕘 Cached answer from {age}"))
    blocks += _buttons(answer, private=private)
    return blocks


def _sources_block(answer: Answer) -> SectionBlock:
    lines = [f"• {mrkdwn_link(s.url, s.title[:150])}" for s in answer.sources]
    heading = "*Related pages*" if answer.outcome is Outcome.NO_ANSWER else "*Sources*"
    return SectionBlock(text=MarkdownTextObject(text="\n".join([heading, *lines])[:3000]))


def _button(label: str, action_id: str, value: str) -> ButtonElement:
    label = defang(label)  # before truncating: defanging lengthens the text
    if len(label) > BUTTON_LABEL_LIMIT:
        label = label[: BUTTON_LABEL_LIMIT - 1] + "…"
    return ButtonElement(text=label, action_id=action_id, value=value[:2000])


def _buttons(answer: Answer, *, private: bool) -> list[Block]:
    blocks: list[Block] = []
    followups = [
        _button(q, f"{FOLLOWUP_ACTION}_{i}", q) for i, q in enumerate(answer.followups[:3])
    ]
    if followups:
        blocks.append(ActionsBlock(block_id="docsbot_followups", elements=followups))
    controls = []
    if answer.outcome is Outcome.ANSWERED:
        controls.append(_button("👍 Helpful", HELPFUL_ACTION, answer.answer_id))
        controls.append(_button("👎 Not helpful", NOT_HELPFUL_ACTION, answer.answer_id))
    if answer.cached_at is not None:
        controls.append(_button("🔄 Refresh", REFRESH_ACTION, answer.answer_id))
    if private:
        controls.append(_button("Share in channel", SHARE_ACTION, answer.answer_id))
    if controls:
        blocks.append(ActionsBlock(block_id="docsbot_controls", elements=controls))
    return blocks
