from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.answers.cache import (
    AnswerArchive,
    AnswerCache,
    decode_answer,
    encode_answer,
    normalize_question,
)
from bot.models import Answer, Asker, Outcome, PageRef, SourceLink
from bot.store import MemoryStore
from tests.support import FakeClock


def _answer(question: str = "How do I rotate a key?") -> Answer:
    return Answer(
        question=question,
        outcome=Outcome.ANSWERED,
        markdown="Open **Settings**.",
        sources=(SourceLink("API keys", "https://docs.example.com/keys"),),
        followups=("How do I revoke a key?",),
        answer_id="a1",
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("How do I rotate a key?", "how do i rotate a key", id="case-and-mark"),
        pytest.param("rotate   a\tkey", "rotate a key", id="whitespace"),
        pytest.param("rotate a key?!...", "Rotate a key", id="trailing-punctuation"),
    ],
)
def test_normalization_makes_the_same_question_equal(a: str, b: str) -> None:
    assert normalize_question(a) == normalize_question(b)


def test_normalization_keeps_different_questions_apart() -> None:
    assert normalize_question("rotate a key") != normalize_question("revoke a key")
    assert normalize_question("what is 1.5") != normalize_question("what is 1")


def test_stored_answers_are_versioned_json() -> None:
    raw = encode_answer(_answer(), created_at=5.0)
    assert '"v": 1' in raw
    decoded = decode_answer(raw)
    assert decoded == (_answer(), 5.0)
    assert decode_answer(raw.replace('"v": 1', '"v": 99')) is None
    assert decode_answer("not json") is None


async def test_cache_hit_carries_its_age_and_expires_after_ttl() -> None:
    clock = FakeClock(1_000.0)
    store = MemoryStore(clock=clock)
    cache = AnswerCache(store, site_id="site_1", ttl=60, clock=clock)
    await cache.put(_answer())
    hit = await cache.get("how do i rotate a key")
    assert hit is not None and hit.cached_at == 1_000.0 and hit.markdown == "Open **Settings**."
    clock.now += 61
    assert await cache.get("how do i rotate a key") is None


async def test_cache_keys_include_the_site() -> None:
    store = MemoryStore()
    await AnswerCache(store, site_id="site_1", ttl=60).put(_answer())
    assert await AnswerCache(store, site_id="site_2", ttl=60).get("How do I rotate a key?") is None


async def test_cache_keys_include_the_scope() -> None:
    cache = AnswerCache(MemoryStore(), site_id="site_1", ttl=60)
    await cache.put(_answer(), ("sitesp_2", "sitesp_1"))
    assert await cache.get("How do I rotate a key?") is None  # the whole site: another answer
    assert await cache.get("How do I rotate a key?", ("sitesp_2",)) is None
    assert await cache.get("How do I rotate a key?", ("sitesp_1", "sitesp_2")) is not None


async def test_ttl_zero_turns_the_cache_off() -> None:
    cache = AnswerCache(MemoryStore(), site_id="s", ttl=0)
    await cache.put(_answer())
    assert await cache.get("How do I rotate a key?") is None


async def test_archive_returns_answers_by_workspace_and_id_with_their_asker() -> None:
    archive = AnswerArchive(MemoryStore())
    asker = Asker("T1", "U1", "C1:1.0")
    await archive.save(_answer(), asker)
    loaded = await archive.load("T1", "a1")
    assert loaded is not None and loaded.answer.question == "How do I rotate a key?"
    assert loaded.asker == asker
    assert await archive.load("T1", "missing") is None
    assert await archive.load("T2", "a1") is None  # never served across workspaces


def test_page_ids_of_sources_survive_the_round_trip() -> None:
    page = SourceLink("Keys", "https://docs.example.com/keys", page=PageRef("space_1", "page_1"))
    record = SourceLink("Changelog", "https://example.com/changelog")
    answer = replace(_answer(), sources=(page, record))
    decoded = decode_answer(encode_answer(answer, created_at=1.0))
    assert decoded is not None and decoded[0].sources == (page, record)
    assert decoded[0].top_page == PageRef("space_1", "page_1")


def test_an_answer_stored_before_page_ids_still_reads() -> None:
    raw = encode_answer(_answer(), created_at=1.0)
    data = json.loads(raw)
    del data["source_pages"]  # as written by the previous release
    decoded = decode_answer(json.dumps(data))
    assert decoded is not None and decoded[0].sources == _answer().sources
    assert decoded[0].top_page is None
