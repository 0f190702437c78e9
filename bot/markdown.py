"""CommonMark scanning that GitBook link rewriting and Slack rendering share.

Code fences (with CommonMark's rules, and any indentation), lines, and inline code spans and
links: pure functions over text, no I/O, nothing specific to either API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlsplit

MAX_MARKER = 10  # longer fences are left open rather than reopened, to bound FENCE_OVERHEAD

MAX_INFO = 20  # longer info strings are dropped when a fence is reopened

FENCE_OVERHEAD = (1 + MAX_MARKER) + (MAX_MARKER + MAX_INFO + 1)  # "\n```" + "```info\n"

# Any indentation is accepted: answers put fences inside list items, deeper than CommonMark's 3.
FENCE_RE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")

LINE_RE = re.compile(r".*\n|.+")

_TEXT = r"(?:[^\[\]\n]|\[[^\[\]\n]*\])*"  # one level of nesting, for an image inside a link

_DEST = r"<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*"

_TITLE = r"""(?:\s++(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?"""

_LINK = rf"(?<!\\)(?P<bang>!?)\[(?P<text>{_TEXT})\]\(\s*+(?P<dest>{_DEST}){_TITLE}\s*+\)"

_CODE = r"(?<!`)(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`)"

# Code first: at a backtick the span wins, so links inside inline code are left alone.
INLINE_RE = re.compile(rf"(?P<code>{_CODE})|(?P<link>{_LINK})", re.DOTALL)

ABSOLUTE_RE = re.compile(r"(?:https?|mailto):", re.IGNORECASE)

SCHEME_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*):")

# Links a reader may follow: anything else (javascript:, data:, file:, …) is shown as text.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def is_safe_url(url: str) -> bool:
    """Whether url is absolute, http(s) with a host or mailto: the only links answers keep."""
    match = SCHEME_RE.match(url)
    if match is None or match["scheme"].lower() not in SAFE_SCHEMES:
        return False
    if match["scheme"].lower() == "mailto":
        return True
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # a malformed netloc, such as an unclosed IPv6 bracket
        return False


def url_host(url: str) -> str | None:
    """The host a URL points at, lower-cased and without "www." (None when it has none)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").removeprefix("www.") if host else None


@dataclass(frozen=True)
class Fence:
    """An open code fence: its marker run and info string."""

    marker: str
    info: str

    @property
    def opener(self) -> str:
        """Return the line that reopens this fence in another piece."""
        return self.marker + (self.info if len(self.info) <= MAX_INFO else "")


def next_fence(line: str, fence: Fence | None) -> Fence | None:
    """Return the fence open after ``line``, given the one open before it."""
    match = FENCE_RE.fullmatch(line.rstrip("\n"))
    if match is None:
        return fence
    marker, rest = match.groups()
    if fence is None:
        # A backtick in a backtick fence's info string makes the line inline code (CommonMark).
        return None if marker[0] == "`" and "`" in rest else Fence(marker, rest.strip())
    closes = marker[0] == fence.marker[0] and len(marker) >= len(fence.marker) and not rest.strip()
    return None if closes else fence


def scan(text: str) -> Iterator[tuple[int, str, Fence | None, Fence | None]]:
    """Yield (offset, line, fence open before, fence open after) for each line of ``text``."""
    fence: Fence | None = None
    for match in LINE_RE.finditer(text):
        after = next_fence(match.group(), fence)
        yield match.start(), match.group(), fence, after
        fence = after


def segments(text: str) -> Iterator[tuple[bool, str]]:
    """Yield runs of whole lines of ``text``, flagged True for fenced code."""
    for in_code, lines in groupby(scan(text), key=lambda s: s[2] is not None or s[3] is not None):
        yield in_code, "".join(line for _, line, _, _ in lines)


def unbracket(dest: str) -> str:
    """Return a link destination without its optional angle brackets."""
    return dest[1:-1] if dest.startswith("<") else dest
