"""Turn GitBook answer markdown into text that Slack shows safely.

GitBook answers are GitHub-flavoured Markdown, possibly a snapshot cut mid-token (their links are
already resolved by ``bot.gitbook.links``). Slack's ``markdown`` block takes standard Markdown but
renders no tables and may act on notification syntax, so the text is healed, its tables flattened,
its links made honest and its mentions defanged (:func:`heal_partial`, :func:`tables_to_code`,
:func:`safe_links`, :func:`defang`, composed by ``bot.slack.blocks.display_markdown``; tables
in ``bot.slack.tables``); ``bot.slack.pieces.split_for_slack`` then cuts the result into pieces
that each fit one block and render on their own. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.markdown import INLINE_RE, is_safe_url, scan, segments, unbracket, url_host

ZWSP = "\u200b"

_BARE_URL_RE = re.compile(r"https?://[^\s<>\[\]()]*")
_PARTIAL_LINK_RE = re.compile(r"!?\[(?P<text>[^\]\n]*)(?:\]\(.*|\])?", re.DOTALL)
_TICKS_RE = re.compile(r"`+")
_DELIM_RE = re.compile(r"\*+|_+|~+")
_LEAD_RE = re.compile(r"[ \t>]*(?:[*+-][ \t]+)?")  # blockquote and bullet markers are not emphasis
_TRAILING_DELIM_RE = re.compile(r"(?:(?<=\S)[ \t]+[*_~]+|^[ \t]*[*_~]{1,2})[ \t]*$")
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
