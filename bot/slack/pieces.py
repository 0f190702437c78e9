"""Cutting an answer into pieces that each fit one Slack markdown block and render alone.

Cuts fall on paragraph breaks outside code where possible; a code fence cut in two is closed at
the end of one piece and reopened (with its info string) at the start of the next. Pure
functions, no I/O.
"""

from __future__ import annotations

import re

from bot.markdown import FENCE_OVERHEAD, MAX_MARKER, Fence, next_fence, scan

_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


def split_markdown(markdown: str, limit: int) -> list[str]:
    """Cut ``markdown`` into non-empty pieces of at most ``limit`` characters that join back."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    code_lines = {offset for offset, _, before, after in scan(markdown) if before or after}
    pieces: list[str] = []
    start = 0
    while len(markdown) - start > limit:
        end = _cut(markdown[start : start + limit], start, code_lines)
        pieces.append(markdown[start:end])
        start = end
    return [*pieces, markdown[start:]] if start < len(markdown) else pieces


def _cut(window: str, start: int, code_lines: set[int]) -> int:
    """Return where to end the piece that ``window`` (at offset ``start``) begins."""
    for blank in reversed(list(_BLANK_LINE_RE.finditer(window))):
        if start + blank.start() + 1 not in code_lines:
            return start + blank.end()
    # A window with no newline lies inside one line, so line-end cuts never split a fence line.
    newline = window.rfind("\n")
    if newline >= 0:
        return start + newline + 1
    space = window.rfind(" ")
    return start + (space + 1 if space >= 0 else len(window))


def balance_fences(pieces: list[str]) -> list[str]:
    """Close a fence left open at a piece's end and reopen it in the next piece."""
    out: list[str] = []
    carried: Fence | None = None
    for piece in pieces:
        text, carried = _balance_piece(_strip_blank_lines(piece), carried)
        if text:
            out.append(text)
    return out


def _balance_piece(body: str, carried: Fence | None) -> tuple[str, Fence | None]:
    """Return ``body`` made to render alone, and the fence the next piece must reopen."""
    first, _, rest = body.partition("\n")
    if carried is not None and next_fence(first, carried) is None:
        body, carried = _strip_blank_lines(rest), None  # starts by closing: no empty block
    if not body:
        return "", carried
    text = f"{carried.opener}\n{body}" if carried else body
    *_, (offset, _, before, fence) = scan(text)
    if fence is None or len(fence.marker) > MAX_MARKER:
        return text, None
    if before is None:  # opened on the last line: leave the fence to the next piece
        return _strip_blank_lines(text[:offset]), fence
    return f"{text}\n{fence.marker}", fence


def _strip_blank_lines(text: str) -> str:
    """Remove blank lines at the start and whitespace at the end of ``text``."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


def split_for_slack(markdown: str, limit: int) -> list[str]:
    """Cut ``markdown`` into pieces of at most ``limit`` characters that each render alone."""
    if limit <= FENCE_OVERHEAD:
        raise ValueError(f"limit must exceed FENCE_OVERHEAD ({FENCE_OVERHEAD}), got {limit}")
    return balance_fences(split_markdown(markdown, limit - FENCE_OVERHEAD))
