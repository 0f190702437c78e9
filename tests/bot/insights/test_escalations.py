"""Escalation records: one per answer, retried after a failure, resolved once, read by range."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.insights.escalations import Escalation, EscalationLog, State, decode, encode
from bot.store import Store

AT = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _escalation(answer_id: str = "a1", at: dt.datetime = AT) -> Escalation:
    return Escalation(
        workspace="T1",
        answer_id=answer_id,
        question="How do I rotate?",
        asker="U1",
        channel="C1",
        thread="1.1",
        private=False,
        at=at.timestamp(),
    )


def test_records_are_versioned_json() -> None:
    raw = encode(_escalation())
    assert '"v": 1' in raw and decode(raw) == _escalation()
    assert decode(raw.replace('"v": 1', '"v": 2')) is None
    assert decode("{") is None and decode(None) is None


async def test_one_escalation_per_answer(store: Store) -> None:
    log = EscalationLog(store, clock=AT.timestamp)
    assert await log.claim(_escalation())
    assert not await log.claim(_escalation())
    assert await log.claim(_escalation("a2"))


async def test_a_failed_escalation_may_be_tried_again(store: Store) -> None:
    log = EscalationLog(store, clock=AT.timestamp)
    assert await log.claim(_escalation())
    await log.failed(_escalation())
    assert await log.claim(_escalation())
    assert not await log.claim(_escalation())


async def test_resolved_once_and_read_back_by_range(store: Store) -> None:
    log = EscalationLog(store, clock=AT.timestamp)
    old = _escalation("old", AT - dt.timedelta(days=10))
    later = _escalation("a2", AT + dt.timedelta(minutes=1))
    for escalation in (_escalation(), later, old):
        assert await log.claim(escalation)
        await log.posted(replace(escalation, message_ts="9.9"))
    resolved = await log.resolve("T1", "a1", "U2")
    assert resolved is not None and resolved.resolved_by == "U2"
    assert resolved.state is State.RESOLVED and resolved.resolved_at == AT.timestamp()
    assert await log.resolve("T1", "a1", "U3") is None  # already resolved
    assert await log.resolve("T1", "unknown", "U3") is None
    found = await log.between(AT - dt.timedelta(days=7), AT + dt.timedelta(hours=1))
    assert [(e.answer_id, e.state) for e in found] == [("a1", State.RESOLVED), ("a2", State.OPEN)]
