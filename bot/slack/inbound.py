"""Turning a Slack message's text into the question a person meant."""

from __future__ import annotations

import html
import re

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def question_text(text: str, bot_user_id: str | None) -> str:
    """Remove the bot's mention and Slack markup, keeping what the person wrote."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _USER_MENTION.sub(lambda m: "@" + (m.group(2) or "someone"), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)).lstrip("@"), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(1) or "channel"), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(html.unescape(text).split())


QUESTION_WORDS = frozenset(
    [
        "how",
        "what",
        "why",
        "where",
        "when",
        "which",
        "who",
        "can",
        "could",
        "does",
        "do",
        "is",
        "are",
        "should",
        "will",
    ]
)
_ENTITY = re.compile(r"<[^>]*>")  # links, mentions, channels: not the person's own words
_WORD = re.compile(r"[^\W\d_]+")


def reads_as_question(text: str) -> bool:
    """Whether a channel message (Slack text) reads as a question to answer unasked.

    It ends with `?` or starts with a question word, and has at least two words of its
    own: greetings, thanks, links alone, code pastes and questions addressed to a person
    are not questions for the docs.
    """
    if "```" in text:
        return False  # a code paste, even with a question mark inside
    if text.lstrip().startswith(("<@", "<!")):
        return False  # addressed to someone (or everyone): not to the docs
    own = html.unescape(_ENTITY.sub(" ", text)).strip()
    words = _WORD.findall(own.lower())
    if len(words) < 2:
        return False
    return own.endswith("?") or words[0] in QUESTION_WORDS
