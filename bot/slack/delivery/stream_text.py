"""What a native (append-only) Slack stream may show of a growing answer.

Text sent to a native stream cannot be changed, but GitBook sends full snapshots cut
anywhere, and the displayed form of a snapshot (``messages.display_markdown``) may change
earlier characters as the answer grows: a healed emphasis or fence, a table getting wider,
a mention completed and defanged. So the stream shows the display of a *stable prefix* of
the snapshot only: a prefix

- that leaves nothing open (no fence, code span, emphasis or link cut in half);
- that displays the same alone as inside the whole snapshot (a growing table would not);
- whose remainder starts with a non-space character: Slack is reported to drop leading
  whitespace where two appended chunks join (docs/slack.md §4).

What the stream shows is always ``display(prefix)`` of one prefix, so it is defanged as a
whole. When even a stable prefix no longer extends what was sent, the text was
*rewritten* and the stream must end (and be corrected with ``chat.update``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.markdown import FENCE_OVERHEAD
from bot.slack.blocks import MARKDOWN_PIECE_LIMIT, display_markdown
from bot.slack.markdown import heal_partial

# Past SOFT_LIMIT only whole paragraphs are streamed, and never past HARD_LIMIT: the final
# answer's first message is cut at the last paragraph break within HARD_LIMIT
# (bot.slack.pieces.split_for_slack), which then always lies at or after the streamed text.
SOFT_LIMIT = 6_000
HARD_LIMIT = MARKDOWN_PIECE_LIMIT - FENCE_OVERHEAD
_GAP_RE = re.compile(r"[ \t]+(?=\S)")  # a space run followed by text, within one line
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n(?=\S)")
_ENDS_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n\Z")


@dataclass(frozen=True, slots=True)
class StreamView:
    """What to show of a snapshot: the text (extending what was sent), or a rewrite."""

    text: str | None = None  # the whole text to show; None: nothing new yet
    rewritten: bool = False  # the snapshot no longer extends what was sent


def next_view(raw: str, sent: str) -> StreamView:
    """Decide what the stream shows of snapshot raw, given the text already sent."""
    raw = raw.lstrip()
    context = display_markdown(raw, partial=True)
    for cut in _cuts(raw):
        if cut <= 0:
            continue
        shown = _stable_display(raw[:cut], context)
        if shown is None:
            continue
        if shown.startswith(sent):
            return StreamView(shown if len(shown) > len(sent) else None)
        if not sent.startswith(shown):
            return StreamView(rewritten=True)
        return StreamView()
    return StreamView()


def _cuts(raw: str) -> Iterator[int]:
    """Cut points, best first: after one of the last spaces of the unfinished line, before
    that line, before its paragraph, before the last paragraph within HARD_LIMIT (each where
    the remainder starts with text)."""
    line_start = raw.rfind("\n") + 1
    gaps = list(_GAP_RE.finditer(raw, line_start))
    for gap in reversed(gaps[-3:]):  # the last may fall inside an emphasis or code span
        yield gap.end()
    if line_start < len(raw) and not raw[line_start].isspace():
        yield line_start
    paragraphs = [match.end() for match in _PARAGRAPH_RE.finditer(raw)]
    if paragraphs:
        yield paragraphs[-1]
    within = [end for end in paragraphs if end <= HARD_LIMIT]
    if within and within[-1] != paragraphs[-1]:
        yield within[-1]  # a long code block may follow: stream up to it


def _stable_display(prefix: str, context: str) -> str | None:
    """The display of prefix if it is stable (see the module docstring), else None."""
    if heal_partial(prefix) != prefix or "|" in _last_line(prefix):
        return None  # something is open at the cut, or a table may still be growing
    shown = display_markdown(prefix, partial=False)
    if not context.startswith(shown):
        return None  # it displays differently once the rest of the snapshot follows
    if len(shown) > SOFT_LIMIT and not (
        len(shown) <= HARD_LIMIT and _ENDS_PARAGRAPH_RE.search(shown)
    ):
        return None
    return shown


def _last_line(prefix: str) -> str:
    """The line the cut ends (a cut at a line start ends the line before it)."""
    text = prefix[:-1] if prefix.endswith("\n") else prefix
    return text[text.rfind("\n") + 1 :]


def remainder(body: str, sent: str) -> str | None:
    """What to append so the stream shows body, or None if body does not extend sent."""
    if body.startswith(sent):
        return body[len(sent) :]
    if body == sent.rstrip():
        return ""  # the first message ends where a paragraph break was streamed
    return None
