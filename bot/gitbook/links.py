"""Links inside GitBook answers: content refs and relative paths resolved to published URLs.

Answer markdown links to pages as GitBook content refs or paths relative to the site; the answer
service resolves them with the site directory (or drops the link, keeping its text) before any
surface renders the answer. A target that is not http(s) or mailto is dropped the same way.
Links inside code are left alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import quote

from bot.markdown import ABSOLUTE_RE, INLINE_RE, is_safe_url, segments, unbracket

LinkResolver = Callable[[str], str | None]


def rewrite_links(markdown: str, resolve: LinkResolver) -> str:
    """Resolve or drop every non-absolute link target outside code."""
    rewrite = functools.partial(_rewrite_link, resolve=resolve)
    return "".join(seg if code else INLINE_RE.sub(rewrite, seg) for code, seg in segments(markdown))


def _rewrite_link(match: re.Match[str], resolve: LinkResolver) -> str:
    """Return one inline match with its link target resolved, or its text alone."""
    if match.group("link") is None:
        return match.group()
    text = INLINE_RE.sub(functools.partial(_rewrite_link, resolve=resolve), match.group("text"))
    dest = unbracket(match.group("dest"))
    target = dest if ABSOLUTE_RE.match(dest) else resolve(dest) if dest else None
    if target is not None and not is_safe_url(target):
        target = None  # javascript:, data: and the like never become links
    return text if target is None else f"{match.group('bang')}[{text}]({_encode_target(target)})"


def _encode_target(target: str) -> str:
    """Percent-encode what would end or break a Markdown link destination."""
    return re.sub(r"[\s()<>]", lambda m: quote(m.group(), safe=""), target)
