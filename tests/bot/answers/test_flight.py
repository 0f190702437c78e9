"""Single-flight: followers share one Ask; when all of them leave early, the Ask is called off."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from bot.answers.flight import Flight
from bot.models import Answer, Draft, Outcome


async def _fly(flight: Flight, release: asyncio.Event) -> None:
    """Stand-in for AnswerService._fly: publishes a draft, then waits to land."""
    flight.publish(Draft("first words"))
    await release.wait()
    flight.land(Answer(question="q", outcome=Outcome.ANSWERED, markdown="done"))


def _start(flight: Flight, release: asyncio.Event) -> asyncio.Task[None]:
    runner = asyncio.create_task(_fly(flight, release))
    flight.run_by(runner)
    return runner


async def _first_update(flight: Flight) -> Draft | Answer:
    async with aclosing(flight.follow()) as updates:
        return await anext(updates)


async def test_the_last_follower_leaving_early_calls_the_flight_off() -> None:
    flight, release = Flight(), asyncio.Event()
    runner = _start(flight, release)
    assert await _first_update(flight) == Draft("first words")  # then the follower leaves
    await asyncio.wait({runner})
    assert runner.cancelled()


async def test_a_flight_goes_on_while_someone_still_follows() -> None:
    flight, release = Flight(), asyncio.Event()
    runner = _start(flight, release)
    async with aclosing(flight.follow()) as staying:
        assert await anext(staying) == Draft("first words")
        assert await _first_update(flight) == Draft("first words")  # another one leaves
        release.set()
        final = await anext(staying)
    assert isinstance(final, Answer)
    await runner
    assert not runner.cancelled()


async def test_leaving_after_the_answer_landed_cancels_nothing() -> None:
    flight, release = Flight(), asyncio.Event()
    release.set()
    runner = _start(flight, release)
    await runner
    assert isinstance(await _first_update(flight), Answer)
    assert not runner.cancelled()
