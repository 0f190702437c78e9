"""Reading the Ask stream event by event: snapshots, the end, errors, the chunk budget."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator

import pytest

from bot.errors import AskStreamError, GitBookTimeout
from bot.gitbook.ask_stream import Budget, next_snapshot
from bot.gitbook.sse import Event


def _answer(markdown: str) -> str:
    return json.dumps({"type": "answer", "answer": {"answer": {"markdown": markdown}}})


async def _events(*events: Event, hang: bool = False) -> AsyncGenerator[Event, None]:
    for event in events:
        yield event
    if hang:
        await asyncio.Event().wait()


def _budget(timeout: float = 5.0, deadline: float = 60.0) -> Budget:
    return Budget.start(timeout, deadline, None)


async def test_snapshots_of_any_event_name_until_done() -> None:
    stream = _events(
        Event("answer", _answer("One")),
        Event("message", "not json"),
        Event("chunk", _answer("One two")),
        Event("done", ""),
        Event("message", _answer("never read")),
    )
    budget = _budget()
    first = await next_snapshot(stream, budget)
    second = await next_snapshot(stream, budget)
    assert (first and first.markdown, second and second.markdown) == ("One", "One two")
    assert await next_snapshot(stream, budget) is None


async def test_data_done_ends_the_stream_too() -> None:
    assert await next_snapshot(_events(Event("message", "done")), _budget()) is None


async def test_an_error_event_raises_with_its_message() -> None:
    error = Event("error", json.dumps({"error": {"message": "quota exceeded"}}))
    with pytest.raises(AskStreamError, match="quota exceeded"):
        await next_snapshot(_events(error), _budget())


async def test_a_stream_that_stops_sending_times_out_between_chunks() -> None:
    with pytest.raises(GitBookTimeout) as info:
        await next_snapshot(_events(hang=True), _budget(timeout=0.05))
    assert info.value.transient  # the chunk timeout, not the deadline: worth one retry


async def test_a_spent_deadline_is_not_worth_a_retry() -> None:
    spent = Budget.start(5.0, 1.0, asyncio.get_running_loop().time() - 1.0)
    with pytest.raises(GitBookTimeout) as info:
        await next_snapshot(_events(hang=True), spent)
    assert not info.value.transient
