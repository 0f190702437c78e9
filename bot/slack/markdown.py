"""Turn GitBook answer markdown into text that Slack shows safely.

GitBook answers are GitHub-flavoured Markdown, possibly a snapshot cut mid-token (their links are
already resolved by ``bot.gitbook.links``). Slack's ``markdown`` block takes standard Markdown but
renders no tables and may act on notification syntax, so the text is healed, its tables flattened,
its links made honest and its mentions defanged (:func:`heal_partial`, :func:`tables_to_code`,
:func:`safe_links`, :func:`defang`, composed by ``bot.slack.blocks.display_markdown``);
:func:`split_for_slack` then cuts the result into pieces that each fit one block and render on
their own. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from bot.markdown import (
    FENCE_OVERHEAD,
    INLINE_RE,
    MAX_MARKER,
    Fence,
    is_safe_url,
    next_fence,
    scan,
    segments,
    unbracket,
    url_host,
)

ZWSP = "\u200b"

_BARE_URL_RE = re.compile(r"https?://[^\s<>\[\]()]*")
_PARTIAL_LINK_RE = re.compile(r"!?\[(?P<text>[^\]\n]*)(?:\]\(.*|\])?", re.DOTALL)
_TICKS_RE = re.compile(r"`+")
_DELIM_RE = re.compile(r"\*+|_+|~+")
_LEAD_RE = re.compile(r"[ \t>]*(?:[*+-][ \t]+)?")  # blockquote and bullet markers are not emphasis
_TRAILING_DELIM_RE = re.compile(r"(?:(?<=\S)[ \t]+[*_~]+|^[ \t]*[*_~]{1,2})[ \t]*$")
_SEP_CELL_RE = re.compile(r":?-+:?")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
# A broadcast tag with anything after its keyword ("<!here!>") is treated as live too.
_TAG_RE = re.compile(
    r"<(?:!(?P<broadcast>(?i:here|channel|everyone))[^<>|]*|!subteam\^[^<>|]*"
    r"|@(?P<user>[A-Z][A-Z0-9]*))(?:\|(?P<label>[^<>]*))?>"
)
_PLAIN_RE = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_AMP_RE = re.compile(r"&(?!(?:amp|lt|gt);)")
# Slack's own link syntax `<url|label>` and CommonMark autolinks `<url>`, any scheme.
_ANGLE_LINK_RE = re.compile(r"<(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*:[^<>|\s]*)(?:\|(?P<label>[^<>]*))?>")
_PARTIAL_ANGLE_RE = re.compile(r"<[a-zA-Z][a-zA-Z0-9+.-]*:[^<>\n]*\Z")
# A label that reads as a URL: with a scheme, or starting with www.
_URL_LABEL_RE = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)\S+")
_LABEL_NOISE = "*_~` \t"  # emphasis or code around a label does not change what it says


def defang(text: str) -> str:
    """Neutralise Slack mentions and broadcasts so posting ``text`` notifies nobody."""
    # Repeat: removing a tag can join its neighbours into a new one, and defang must be idempotent.
    while (done := _PLAIN_RE.sub("@" + ZWSP, _TAG_RE.sub(_defang_tag, text))) != text:
        text = done
    return text


def _defang_tag(match: re.Match[str]) -> str:
    """Return a mention tag as plain, non-notifying text."""
    label = (match.group("label") or "").lstrip("@")
    name = match.group("broadcast") or match.group("user") or "subteam"
    return "@" + ZWSP + (label or name)


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for mrkdwn once, after defanging."""
    text = _AMP_RE.sub("&amp;", defang(text))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_link(url: str, label: str) -> str:
    """Return a mrkdwn link ``<url|label>`` that no character of url or label can break.

    A url that is not http(s) or mailto gives the label alone, as text; a label that is a
    URL to another host is replaced by the real url.
    """
    if not is_safe_url(url):
        return escape_mrkdwn(" ".join(label.split()))
    label = url if _misleads(label, url) else label
    safe_url = re.sub(r"[\s|<>]", lambda m: quote(m.group(), safe=""), url)
    safe_label = escape_mrkdwn(" ".join(label.split())).replace("|", "¦")
    return f"<{safe_url}|{safe_label}>" if safe_label else f"<{safe_url}>"


def safe_links(markdown: str) -> str:
    """Keep only http(s) and mailto links outside code, each showing where it really goes.

    A link to any other scheme becomes its text; a link whose text is a URL to another host
    shows its real target; Slack-style ``<url|label>`` becomes a Markdown link on the same terms.
    """
    return "".join(seg if code else _safe_inline(seg) for code, seg in segments(markdown))


def _safe_inline(text: str) -> str:
    """Apply safe_links to text with no fences (links and angle links; code spans kept)."""
    parts: list[str] = []
    position = 0
    for match in INLINE_RE.finditer(text):
        parts.append(_ANGLE_LINK_RE.sub(_angle_link, text[position : match.start()]))
        parts.append(_safe_link(match) if match.group("link") is not None else match.group())
        position = match.end()
    parts.append(_ANGLE_LINK_RE.sub(_angle_link, text[position:]))
    return "".join(parts)


def _safe_link(match: re.Match[str]) -> str:
    """Return a Markdown link (or image) kept, retargeted to what it says, or its text."""
    label, dest = _safe_inline(match.group("text")), unbracket(match.group("dest"))
    if not is_safe_url(dest):
        return label
    if _misleads(label, dest):
        return f"{match.group('bang')}[{_label_text(dest)}]({_link_dest(dest)})"
    if label == match.group("text"):
        return match.group()
    return f"{match.group('bang')}[{label}]({match.group('dest')})"


def _angle_link(match: re.Match[str]) -> str:
    """Return ``<url|label>`` or ``<url>`` as a safe Markdown link, or as text."""
    url, label = match.group("url"), match.group("label")
    if not is_safe_url(url):
        return label if label is not None else url
    if label is None:
        return match.group()  # a plain autolink: it shows its own target
    shown = url if _misleads(label, url) or not label.strip() else label
    return f"[{_label_text(shown)}]({_link_dest(url)})"


def _misleads(label: str, url: str) -> bool:
    """Whether label reads as a URL to a different host than url's."""
    words = label.strip(_LABEL_NOISE)
    if not _URL_LABEL_RE.fullmatch(words):
        return False
    shown = words if "://" in words else "http://" + words
    return url_host(shown) != url_host(url)


def _label_text(text: str) -> str:
    """Escape what would end a Markdown link's text."""
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def _link_dest(url: str) -> str:
    """Percent-encode what would end or break a Markdown link destination."""
    return re.sub(r"[\s()<>]", lambda m: quote(m.group(), safe=""), url)


def heal_partial(markdown: str) -> str:
    """Close or drop the markup a mid-token cut left open at the end of ``markdown``."""
    lines = list(scan(markdown))
    if not lines:
        return markdown
    offset, last, before, fence = lines[-1]
    if fence is None:
        # A closing fence line, or a line already finished, has nothing left open on it.
        return markdown if before or last.endswith("\n") else markdown[:offset] + _heal_line(last)
    stub = last.strip()
    if "\n" not in last and len(stub) < len(fence.marker) and set(stub) == {fence.marker[0]}:
        return markdown[:offset] + fence.marker  # the closing fence itself was cut short
    return markdown + ("" if markdown.endswith("\n") else "\n") + fence.marker


def _heal_line(line: str) -> str:
    """Drop a cut link and close the code span and emphasis left open on ``line``."""
    line = _drop_partial_links(line)
    angle = _PARTIAL_ANGLE_RE.search(INLINE_RE.sub(_blank, line))  # outside code and links
    if angle is not None:
        line = line[: angle.start()].rstrip(" \t")  # a cut `<url|label>`: target unknown yet
    tick = _TICKS_RE.search(_mask(line))
    if tick is not None and not line[tick.end() :].strip():
        line, tick = line[: tick.start()], None  # backticks with no code yet would show as is
    if tick is None:
        line = _TRAILING_DELIM_RE.sub("", line)  # an opener with nothing after it yet
    prose = _mask(line)[: tick.start()] if tick else _mask(line)
    closers = "".join(reversed(_open_emphasis(prose)))
    if closers and tick is None:
        line = line.rstrip()  # "**bold **" would not render as bold
    return line + (tick.group() if tick else "") + closers


def _blank(match: re.Match[str]) -> str:
    """Return NULs as long as the match, to hide it while keeping offsets."""
    return "\0" * len(match.group())


def _mask(line: str) -> str:
    """Return ``line`` with complete code spans, links and bare URLs blanked out."""
    return _BARE_URL_RE.sub(_blank, INLINE_RE.sub(_blank, line))


def _drop_partial_links(line: str) -> str:
    """Replace each trailing incomplete link or image by its text."""
    while True:
        masked = _mask(line)
        tick = _TICKS_RE.search(masked)
        start = masked.rfind("[", 0, tick.start() if tick else len(masked))
        if start > 0 and masked[start - 1] == "!":
            start -= 1
        match = _PARTIAL_LINK_RE.fullmatch(masked, start) if start >= 0 else None
        if match is None:
            return line
        line = line[:start] + line[match.start("text") : match.end("text")]


def _open_emphasis(prose: str) -> list[str]:
    """Return the emphasis delimiters left open in ``prose``, innermost last."""
    prose = _LEAD_RE.sub(lambda m: " " * len(m.group()), prose, count=1)
    stack: list[str] = []
    for run in _DELIM_RE.finditer(prose):
        before = prose[run.start() - 1] if run.start() else " "
        after = prose[run.end()] if run.end() < len(prose) else " "
        char, size = run.group()[0], len(run.group())
        if (char == "_" and before.isalnum() and after.isalnum()) or (char == "~" and size != 2):
            continue  # intraword underscores and single tildes emphasise nothing
        for token in [char * 2] * (size // 2) + [char] * (size % 2):
            if not before.isspace() and token in stack:
                del stack[len(stack) - 1 - stack[::-1].index(token)]
            elif not after.isspace():
                stack.append(token)
    return stack


def tables_to_code(markdown: str) -> str:
    """Replace each GFM table outside code by an aligned plain-text table in a code block."""
    lines = [(line, before is None and after is None) for _, line, before, after in scan(markdown)]
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = _table_end(lines, index)
        if end == index:
            out.append(lines[index][0])
            end += 1
        else:
            out.append(_render_table([line for line, _ in lines[index:end]]))
        index = end
    return "".join(out)


def _table_end(lines: list[tuple[str, bool]], start: int) -> int:
    """Return the index after the table starting at ``start``, or ``start`` if none does."""
    if start + 1 >= len(lines) or not (lines[start][1] and lines[start + 1][1]):
        return start
    header, aligns = lines[start][0], _alignments(lines[start + 1][0])
    if "|" not in header or aligns is None or len(_cells(header)) != len(aligns):
        return start
    end = start + 2
    while end < len(lines) and lines[end][1] and "|" in lines[end][0] and lines[end][0].strip():
        end += 1
    return end


def _alignments(row: str) -> list[str] | None:
    """Return the column alignments (format specs) of a separator row, or None if it is not one."""
    cells = _cells(row)
    if "|" not in row or not all(_SEP_CELL_RE.fullmatch(cell) for cell in cells):
        return None
    return [">" if c[-1] == ":" and c[0] != ":" else "^" if c[-1] == ":" else "<" for c in cells]


def _cells(row: str) -> list[str]:
    """Split a table row into its cells, without the outer pipes."""
    row = row.strip().removeprefix("|")
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def _render_table(lines: list[str]) -> str:
    """Return a table's lines as a fenced block of padded columns."""
    aligns = _alignments(lines[1]) or []
    rows = [
        ([_flatten(c) for c in _cells(line)] + [""] * len(aligns))[: len(aligns)] for line in lines
    ]
    del rows[1]
    widths = [max(_width(row[col]) for row in rows) or 1 for col in range(len(aligns))]
    body = [" | ".join(map(_pad, row, widths, aligns)).rstrip() for row in rows]
    body.insert(1, "-+-".join("-" * width for width in widths))
    runs = [len(run) for run in _TICKS_RE.findall("".join(body))]
    marker = "`" * max(3, max(runs, default=0) + 1)  # longer than any backtick run inside
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    text = "".join(f"{indent}{line}\n" for line in [marker, *body]) + indent + marker
    return text + ("\n" if lines[-1].endswith("\n") else "")


def _flatten(cell: str) -> str:
    """Reduce a cell's inline markdown to plain text."""
    cell = re.sub(r"<br\s*/?>", " ", cell)
    parts: list[str] = []
    position = 0
    for match in INLINE_RE.finditer(cell):
        parts += [_strip_emphasis(cell[position : match.start()]), _flatten_inline(match)]
        position = match.end()
    return " ".join("".join([*parts, _strip_emphasis(cell[position:])]).split())


def _flatten_inline(match: re.Match[str]) -> str:
    """Return a code span's code, or a link as "text (target)"."""
    if match.group("code") is not None:
        return match.group()[len(match.group("ticks")) : -len(match.group("ticks"))].strip()
    text, dest = _flatten(match.group("text")), unbracket(match.group("dest"))
    return text if dest in ("", text) else dest if not text else f"{text} ({dest})"


def _strip_emphasis(text: str) -> str:
    """Remove emphasis markers around words."""
    text = re.sub(r"(\*\*|__|~~)(.+?)\1", r"\2", text)
    return re.sub(r"(?<!\w)([*_])(?!\s)(.+?)(?<!\s)\1(?!\w)", r"\2", text)


def _width(text: str) -> int:
    """Return how many monospace columns ``text`` takes."""
    wide = ("W", "F")
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in wide else 1
        for c in text
    )


def _pad(text: str, width: int, align: str) -> str:
    """Pad ``text`` to ``width`` columns, aligned left, right or centre."""
    gap = width - _width(text)
    left = {"<": 0, ">": gap, "^": gap // 2}[align]
    return " " * left + text + " " * (gap - left)


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
