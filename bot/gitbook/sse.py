"""Server-sent events, decoded as the HTML standard says (no HTTP here).

Why our own decoder rather than httpx-sse's: a stream may begin with a byte order mark,
which the standard strips and httpx-sse does not (it would turn the first field into
``\\ufeffdata`` and lose the first snapshot). The rest follows the standard: lines end in
CR, LF or CRLF (also when a chunk ends between the two), ``:`` starts a comment, one space
after the colon is dropped, and an event left unterminated when the stream ends is discarded.
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    """One dispatched event: its name ("message" when it has no `event:` field) and data."""

    name: str
    data: str


class EventDecoder:
    """Turn the bytes of an event stream, chunk by chunk, into events."""

    def __init__(self) -> None:
        # utf-8-sig drops a BOM at the very start only; bad bytes become U+FFFD, not errors.
        self._text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial: list[str] = []  # the line being received
        self._carried_cr = False  # a chunk ended with CR: it may be half of a CRLF
        self._name = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        """Return the events that chunk completes."""
        events = (self._line(line) for line in self._lines(self._text.decode(chunk)))
        return [event for event in events if event is not None]

    def _lines(self, text: str) -> list[str]:
        if self._carried_cr:
            text, self._carried_cr = "\r" + text, False
        if text.endswith("\r"):
            text, self._carried_cr = text[:-1], True
        parts = _NEWLINE_RE.split(text)
        if len(parts) == 1:
            self._partial.append(parts[0])
            return []
        parts[0] = "".join(self._partial) + parts[0]
        self._partial = [parts.pop()]
        return parts

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alives look like this
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None  # id and retry mean nothing to a client that never reconnects

    def _dispatch(self) -> Event | None:
        name, data = self._name, self._data
        self._name, self._data = "", []
        # The standard drops an event without data; a bare `event: done` still ends a stream.
        if not data and not name:
            return None
        return Event(name or "message", "\n".join(data))
