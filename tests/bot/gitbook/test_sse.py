"""The event-stream decoder: lines, fields and events as the HTML standard reads them."""

from __future__ import annotations

import pytest

from bot.gitbook.sse import Event, EventDecoder


def _decode(*chunks: bytes) -> list[Event]:
    decoder = EventDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"data: one\n\n"], id="lf"),
        pytest.param([b"data: one\r\n\r\n"], id="crlf"),
        pytest.param([b"data: one\r\r", b": next\r"], id="cr"),  # a last CR may begin a CRLF
        pytest.param([b"data: one\r", b"\n\r\n"], id="crlf-split-between-chunks"),
        pytest.param([b"da", b"ta: o", b"ne\n", b"\n"], id="split-anywhere"),
        pytest.param([b"\xef\xbb\xbfdata: one\n\n"], id="bom"),
        pytest.param([b"\xef\xbb", b"\xbfdata: one\n\n"], id="bom-split"),
        pytest.param([b": keep-alive\n\ndata: one\n\n"], id="comment-first"),
        pytest.param([b"data:one\n\n"], id="no-space"),
        pytest.param([b"id: 7\nretry: 10\ndata: one\n\n"], id="id-and-retry-ignored"),
    ],
)
def test_one_unnamed_event(chunks: list[bytes]) -> None:
    assert _decode(*chunks) == [Event("message", "one")]


def test_named_events_keep_their_name_and_multi_line_data() -> None:
    events = _decode(b"event: answer\ndata: a\ndata: b\n\nevent: done\ndata: done\n\n")
    assert events == [Event("answer", "a\nb"), Event("done", "done")]


def test_a_bare_event_name_is_dispatched_but_comments_and_blank_lines_are_not() -> None:
    assert _decode(b": ping\n\n\n\nevent: done\n\n") == [Event("done", "")]


def test_an_event_unterminated_at_the_end_is_not_dispatched() -> None:
    assert _decode(b"data: one\n\ndata: cut") == [Event("message", "one")]


def test_a_bom_later_in_the_stream_is_data() -> None:
    assert _decode(b"data: one\n\n", b"\xef\xbb\xbfdata: two\n\n") == [Event("message", "one")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert _decode(b"data: \xff\n\n") == [Event("message", "\ufffd")]
