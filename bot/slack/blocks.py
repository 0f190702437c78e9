"""What the asker sees in Slack: placeholder, drafts, final answers, notices.

Answers go in `markdown` blocks (standard Markdown, rendered by Slack); sources and
labels are mrkdwn, escaped. Limits: markdown blocks share 12,000 characters per message,
a section holds 3,000, a button label 75 and its value 2,000.

Over the ~250-line guide: every reply shape (placeholder, draft, the final answer split in at
most five messages, the native stream's end) is built from the same pieces, kept together.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import notices
from bot.markdown import is_safe_url
from bot.models import Answer, Outcome
from bot.slack.markdown import (
    defang,
    escape_mrkdwn,
    heal_partial,
    mrkdwn_link,
    safe_links,
)
from bot.slack.pieces import split_for_slack
from bot.slack.tables import tables_to_code

MARKDOWN_PIECE_LIMIT = 10_000  # of the 12,000 shared by markdown blocks, leaving room for the rest
MAX_ANSWER_MESSAGES = (
    5  # contract: an answer is at most 5 messages, the last says where the rest is
)
# Past this, answer markdown is not even rendered: 5 messages cannot show it (tables may
# shrink when flattened, hence the margin over 5 x 10,000).
MAX_RENDERED_CHARS = 2 * MAX_ANSWER_MESSAGES * MARKDOWN_PIECE_LIMIT
MAX_DRAFT_CHARS = 4 * MARKDOWN_PIECE_LIMIT  # a draft shows one message: render no more than this
SOURCE_TITLE_LIMIT = 150
FALLBACK_TEXT_LIMIT = 3_000  # `text` is only the notification; chat.update refuses > 4,000
BUTTON_LABEL_LIMIT = 75
FOLLOWUP_ACTION = "docsbot_followup"
REFRESH_ACTION = "docsbot_refresh"
SHARE_ACTION = "docsbot_share"
SHARE_IN_THREAD_ACTION = "docsbot_share_thread"  # value: "<answer id>:<thread ts>"
HELPFUL_ACTION = "docsbot_feedback_helpful"
NOT_HELPFUL_ACTION = "docsbot_feedback_not_helpful"
ESCALATE_ACTION = "docsbot_escalate"  # "Ask a person" (bot/slack/escalation.py)


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


def error_notice(error: BaseException | None = None) -> SlackMessage:
    """The message an asker sees for an error (its words: ``notices.for_error``)."""
    return notice(notices.for_error(error))


def interrupted(shown_markdown: str | None, *, restarting: bool) -> SlackMessage:
    """A reply that stopped before its answer was complete (shutdown, or a bug)."""
    text = notices.RESTARTED if restarting else notices.GENERIC_ERROR
    if not shown_markdown:
        return notice(text)
    body = draft(shown_markdown).blocks[0]["text"]
    return _message(text, [MarkdownBlock(text=body), _context(f"⚠️ {text}")])


def placeholder() -> SlackMessage:
    """The reply posted at once, before GitBook has written anything."""
    return _message(notices.PLACEHOLDER, [_context(notices.PLACEHOLDER)])


def display_markdown(markdown: str, *, partial: bool) -> str:
    """Make answer markdown safe and well-formed for a Slack markdown block."""
    text = heal_partial(markdown) if partial else markdown
    return defang(safe_links(tables_to_code(text)))


def draft(markdown: str) -> SlackMessage:
    """An intermediate edit: the answer so far, within one message's limits."""
    shown = display_markdown(markdown[:MAX_DRAFT_CHARS], partial=True)
    pieces = split_for_slack(shown, MARKDOWN_PIECE_LIMIT)
    more = len(pieces) > 1 or len(markdown) > MAX_DRAFT_CHARS
    body = pieces[0] + ("\n\n…" if more else "") if pieces else notices.PLACEHOLDER
    return _message(body, [MarkdownBlock(text=body), _context(notices.WRITING)])


def format_age(seconds: float) -> str:
    """Say how old something is, in words."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return notices.JUST_NOW
    if minutes < 60:
        return notices.ago(minutes, "minute")
    hours = minutes // 60
    if hours < 48:
        return notices.ago(hours, "hour")
    return notices.ago(hours // 24, "day")


def answer_messages(
    answer: Answer,
    *,
    private: bool = False,
    asked_by: str | None = None,
    now: float | None = None,
    share_thread: str | None = None,
) -> list[SlackMessage]:
    """The final reply: the answer split into messages, the last one with sources and buttons.

    A private answer's Share posts at the channel's top level, or in share_thread if given.
    """
    pieces = _answer_pieces(answer)
    messages = [_message(piece, [MarkdownBlock(text=piece)]) for piece in pieces[:-1]]
    last: list[Block] = [MarkdownBlock(text=pieces[-1])] if pieces[-1] else []
    last += _footer(answer, private=private, asked_by=asked_by, now=now, thread=share_thread)
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
    text = notices.RESTARTED if restarting else notices.GENERIC_ERROR
    return [_context(f"⚠️ {text}").to_dict()]


def _answer_pieces(answer: Answer) -> list[str]:
    """The answer's markdown pieces: at most MAX_ANSWER_MESSAGES, never cut silently."""
    if answer.outcome is Outcome.NO_ANSWER:
        return split_for_slack(_no_answer_text(answer), MARKDOWN_PIECE_LIMIT) or [""]
    markdown = answer.markdown
    cut = len(markdown) > MAX_RENDERED_CHARS
    body = display_markdown(markdown[:MAX_RENDERED_CHARS], partial=cut)
    pieces = split_for_slack(body, MARKDOWN_PIECE_LIMIT) or [""]
    if len(pieces) <= MAX_ANSWER_MESSAGES and not cut:
        return pieces
    return _ending_with_the_rest(pieces[:MAX_ANSWER_MESSAGES], answer)


def _ending_with_the_rest(pieces: list[str], answer: Answer) -> list[str]:
    """End the last piece with where to read the rest, shortening it to make room."""
    line = _rest_line(answer)
    last = pieces[-1]
    if len(last) + 2 + len(line) > MARKDOWN_PIECE_LIMIT:
        last = split_for_slack(last, MARKDOWN_PIECE_LIMIT - 2 - len(line))[0]
    return [*pieces[:-1], f"{last}\n\n{line}"]


def _rest_line(answer: Answer) -> str:
    """Say where the rest is: the top source page, when there is one."""
    top = answer.sources[0] if answer.sources else None
    if top is None or not is_safe_url(top.url):
        return notices.TOO_LONG
    title = " ".join(top.title.split())[:SOURCE_TITLE_LIMIT] or top.url
    title = re.sub(r"([\[\]\\])", r"\\\1", title)  # brackets would end the link text
    url = re.sub(r"[\s()<>]", lambda m: quote(m.group(), safe=""), top.url)
    return defang(notices.READ_THE_REST.format(title=title, url=url))


def _no_answer_text(answer: Answer) -> str:
    text = notices.NO_ANSWER
    if answer.search_url and is_safe_url(answer.search_url):
        text += notices.search_yourself(answer.search_url)
    return text


def _fallback_text(answer: Answer) -> str:
    return answer.notice or _no_answer_text(answer)


def _footer(
    answer: Answer,
    *,
    private: bool,
    asked_by: str | None,
    now: float | None,
    thread: str | None = None,
) -> list[Block]:
    blocks: list[Block] = []
    if answer.notice:
        blocks.append(_context(f"⚠️ {escape_mrkdwn(answer.notice)}"))
    if answer.sources:
        blocks.append(_sources_block(answer))
    if asked_by:
        blocks.append(_context(notices.asked_by(f"<@{asked_by}>", escape_mrkdwn(answer.question))))
    if answer.cached_at is not None:
        age = format_age((now if now is not None else time.time()) - answer.cached_at)
        blocks.append(_context(notices.cached_label(age)))
    blocks += _buttons(answer, private=private, share_thread=thread)
    return blocks


def _sources_block(answer: Answer) -> SectionBlock:
    lines = [f"• {mrkdwn_link(s.url, s.title[:SOURCE_TITLE_LIMIT])}" for s in answer.sources]
    no_answer = answer.outcome is Outcome.NO_ANSWER
    heading = notices.RELATED_HEADING if no_answer else notices.SOURCES_HEADING
    return SectionBlock(text=MarkdownTextObject(text="\n".join([heading, *lines])[:3000]))


def _button(label: str, action_id: str, value: str) -> ButtonElement:
    label = defang(label)  # before truncating: defanging lengthens the text
    if len(label) > BUTTON_LABEL_LIMIT:
        label = label[: BUTTON_LABEL_LIMIT - 1] + "…"
    return ButtonElement(text=label, action_id=action_id, value=value[:2000])


def share_in_thread_value(value: str) -> tuple[str, str] | None:
    """Read a Share in thread button's value: (answer id, thread ts), or None."""
    answer_id, _, thread_ts = value.partition(":")
    return (answer_id, thread_ts) if answer_id and thread_ts else None


def _buttons(answer: Answer, *, private: bool, share_thread: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    followups = [
        _button(q, f"{FOLLOWUP_ACTION}_{i}", q) for i, q in enumerate(answer.followups[:3])
    ]
    if followups:
        blocks.append(ActionsBlock(block_id="docsbot_followups", elements=followups))
    controls = []
    if answer.outcome is Outcome.ANSWERED:
        controls.append(_button(notices.HELPFUL_BUTTON, HELPFUL_ACTION, answer.answer_id))
        controls.append(_button(notices.NOT_HELPFUL_BUTTON, NOT_HELPFUL_ACTION, answer.answer_id))
    if answer.cached_at is not None:
        controls.append(_button(notices.REFRESH_BUTTON, REFRESH_ACTION, answer.answer_id))
    if private and share_thread:
        value = f"{answer.answer_id}:{share_thread}"
        controls.append(_button(notices.SHARE_IN_THREAD_BUTTON, SHARE_IN_THREAD_ACTION, value))
    elif private:
        controls.append(_button(notices.SHARE_BUTTON, SHARE_ACTION, answer.answer_id))
    if answer.offer_people and answer.outcome is not Outcome.FAILED:
        controls.append(_button(notices.ASK_PERSON_BUTTON, ESCALATE_ACTION, answer.answer_id))
    if controls:
        blocks.append(ActionsBlock(block_id="docsbot_controls", elements=controls))
    return blocks
