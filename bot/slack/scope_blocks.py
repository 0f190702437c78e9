"""What `/docs scope` shows: the channel's scope, the site's spaces and a picker."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
)

from bot import notices
from bot.models import SiteSpace
from bot.slack.blocks import SlackMessage
from bot.slack.markdown import escape_mrkdwn

SCOPE_PICK_ACTION = "docsbot_scope_pick"
OPTION_TEXT_LIMIT = 75  # a select option's text (docs/slack.md §5)
MAX_OPTIONS = 100  # options in one static select (docs/slack.md §5)
MAX_LISTED = 40  # spaces listed in text; the section stays under 3,000 characters


def space_title(space: SiteSpace) -> str:
    """How a site space is called in Slack: its title, else its id."""
    return space.title or space.id


def _option(space: SiteSpace) -> Option:
    title = space_title(space)
    if len(title) > OPTION_TEXT_LIMIT:
        title = title[: OPTION_TEXT_LIMIT - 1] + "…"
    return Option(text=PlainTextObject(text=title, emoji=False), value=space.id)


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:3000]))


def scope_message(spaces: Sequence[SiteSpace], scope: Sequence[str], command: str) -> SlackMessage:
    """The channel's scope, the site's spaces, a multi-select picker and the text form."""
    by_id = {s.id: s for s in spaces}
    chosen = [by_id[i] for i in scope if i in by_id]
    summary = notices.scope_summary([escape_mrkdwn(space_title(s)) for s in chosen])
    lines = [
        notices.scope_space_line(escape_mrkdwn(space_title(s)), escape_mrkdwn(s.id))
        for s in spaces[:MAX_LISTED]
    ]
    options = [_option(s) for s in spaces[:MAX_OPTIONS]]
    picker = StaticMultiSelectElement(
        placeholder=PlainTextObject(text=notices.SCOPE_PICKER_LABEL),
        action_id=SCOPE_PICK_ACTION,
        options=options,
        initial_options=[o for o in options if o.value in scope] or None,
    )
    blocks: list[Block] = [
        _section(summary),
        _section("\n".join(lines)),
        ActionsBlock(block_id="docsbot_scope", elements=[picker]),
        ContextBlock(elements=[MarkdownTextObject(text=notices.scope_help(command))]),
    ]
    return SlackMessage(text=summary, blocks=[b.to_dict() for b in blocks])
