"""The answer service against a fake GitBook: drafts, final answers, cache, retries, sources."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.answers.cache import AnswerArchive, AnswerCache
from bot.answers.history import ThreadHistory
from bot.answers.service import AnswerService
from bot.gitbook.client import GitBookClient, make_http_client
from bot.gitbook.directory import SiteDirectory
from bot.insights.events import Insights
from bot.models import Answer, AnswerUpdate, Asker, Draft, Outcome, Question
from bot.settings import GitBookSettings, Secret
from bot.store import MemoryStore
from bot.tasks import BackgroundTasks
from tests.fakes.gitbook import (
    Cut,
    DoneEvent,
    ErrorEvent,
    FakeGitBook,
    HttpError,
    Snapshot,
    Step,
    WaitFor,
    page_source,
    record_source,
)

SITE = "https://docs.example.com/"
_threads = itertools.count(1)


@dataclass
class Rig:
    service: AnswerService
    gitbook: FakeGitBook
    archive: AnswerArchive
    tasks: BackgroundTasks

    async def run(self, text: str, *, refresh: bool = False) -> list[AnswerUpdate]:
        # A new thread each time: follow-ups in one thread carry context and skip the cache.
        asker = Asker(workspace="T1", user="U1", conversation=f"C1:{next(_threads)}.0")
        question = Question(text=text, asker=asker, refresh=refresh)
        return [update async for update in self.service.answer(question)]

    async def final(self, text: str, *, refresh: bool = False) -> Answer:
        updates = await self.run(text, refresh=refresh)
        finals = [u for u in updates if isinstance(u, Answer)]
        assert len(finals) == 1 and updates[-1] is finals[0], updates
        return finals[0]


@pytest.fixture
async def rig(fake_gitbook: FakeGitBook) -> AsyncIterator[Rig]:
    fake_gitbook.add_site_space("spc_1", SITE)
    fake_gitbook.add_page("spc_1", "pg_9", "API keys", "security/api-keys")
    settings = GitBookSettings(
        api_token=Secret(fake_gitbook.token),
        organization_id=fake_gitbook.org,
        site_id=fake_gitbook.site,
        api_url=fake_gitbook.url,
        timeout_seconds=2.0,
    )
    store = MemoryStore()
    tasks = BackgroundTasks()
    async with make_http_client(settings) as http:
        gitbook = GitBookClient(http, settings)
        directory = SiteDirectory(gitbook)
        archive = AnswerArchive(store)
        service = AnswerService(
            gitbook,
            directory,
            AnswerCache(store, site_id=settings.site_id, ttl=3600),
            archive,
            Insights(gitbook, directory, tasks, hash_key="test-key"),
            ThreadHistory(store),
            tasks,
        )
        yield Rig(service, fake_gitbook, archive, tasks)
        await tasks.join(grace_seconds=2.0)
    assert fake_gitbook.schema_errors == []


async def test_drafts_then_one_final_answer(rig: Rig) -> None:
    rig.gitbook.script_ask(
        [
            Snapshot("To rotate"),
            Snapshot("To rotate a key, open Settings."),
            Snapshot(
                "To rotate a key, open Settings.",
                sources=[page_source("pg_9", space="spc_1")],
                followups=["How do I revoke a key?"],
            ),
            DoneEvent(),
        ]
    )
    updates = await rig.run("How do I rotate an API key?")
    drafts = updates[:-1]
    assert all(isinstance(d, Draft) for d in drafts)
    # Drafts are the latest state when the reader looks: snapshots in order, none invented.
    texts = [d.markdown for d in drafts]
    snapshots = ["To rotate", "To rotate a key, open Settings.", "To rotate a key, open Settings."]
    assert texts and texts[-1] == "To rotate a key, open Settings."
    positions = [snapshots.index(t) for t in texts]
    assert positions == sorted(positions)
    final = updates[-1]
    assert isinstance(final, Answer)
    assert final.outcome is Outcome.ANSWERED
    assert final.markdown == "To rotate a key, open Settings."
    assert final.followups == ("How do I revoke a key?",)
    assert final.notice is None and final.cached_at is None
    assert await rig.archive.load("T1", final.answer_id) is not None  # buttons can act on it later
    assert len(rig.gitbook.ask_requests) == 1


async def test_repeated_question_is_served_from_cache_without_ask(rig: Rig) -> None:
    rig.gitbook.script_ask([Snapshot("Use the CLI."), DoneEvent()])
    first = await rig.final("How do I install it?")
    updates = await rig.run("  how do I INSTALL it  ")
    assert len(updates) == 1  # no drafts: the cached answer at once
    (cached,) = updates
    assert isinstance(cached, Answer)
    assert cached.markdown == first.markdown == "Use the CLI."
    assert cached.cached_at is not None
    assert len(rig.gitbook.ask_requests) == 1
    # One insights event per question, cached or not.
    await rig.gitbook.wait_until(lambda: len(rig.gitbook.insight_events) == 2)
    assert [e["query"] for e in rig.gitbook.insight_events] == [
        "How do I install it?",
        "how do I INSTALL it",
    ]


async def test_refresh_bypasses_the_cache_and_updates_it(rig: Rig) -> None:
    rig.gitbook.script_ask([Snapshot("Old answer."), DoneEvent()])
    rig.gitbook.script_ask([Snapshot("New answer."), DoneEvent()])
    await rig.final("What is new?")
    refreshed = await rig.final("What is new?", refresh=True)
    assert refreshed.markdown == "New answer." and refreshed.cached_at is None
    assert len(rig.gitbook.ask_requests) == 2
    again = await rig.final("what is new")
    assert again.markdown == "New answer." and again.cached_at is not None
    assert len(rig.gitbook.ask_requests) == 2


RETRY_NOW = {"Retry-After": "0"}


@pytest.mark.parametrize(
    ("scripts", "asks", "outcome", "markdown"),
    [
        pytest.param(
            [[HttpError(503, "down", RETRY_NOW)], [Snapshot("Fine."), DoneEvent()]],
            2,
            Outcome.ANSWERED,
            "Fine.",
            id="503-then-answer",
        ),
        pytest.param(
            [[HttpError(429, "slow down", RETRY_NOW)], [Snapshot("Fine."), DoneEvent()]],
            2,
            Outcome.ANSWERED,
            "Fine.",
            id="429-then-answer",
        ),
        pytest.param(
            [[HttpError(503, "down", RETRY_NOW)], [HttpError(503, "down", RETRY_NOW)]],
            2,
            Outcome.FAILED,
            "",
            id="retried-once-only",
        ),
        pytest.param(
            [[HttpError(401, "Unauthorized")], [Snapshot("never"), DoneEvent()]],
            1,
            Outcome.FAILED,
            "",
            id="401-not-retried",
        ),
        pytest.param(
            [[Snapshot("Partial"), Cut()], [Snapshot("never"), DoneEvent()]],
            1,
            Outcome.FAILED,
            "Partial",
            id="not-retried-once-shown",
        ),
    ],
)
async def test_transient_error_is_retried_once_only_while_nothing_is_shown(
    rig: Rig, scripts: list[list[Step]], asks: int, outcome: Outcome, markdown: str
) -> None:
    for script in scripts:
        rig.gitbook.script_ask(script)
    final = await rig.final("How do I rotate an API key?")
    assert len(rig.gitbook.ask_requests) == asks
    assert final.outcome is outcome
    assert final.markdown == markdown
    assert (final.notice is not None) is (outcome is Outcome.FAILED)


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param(ErrorEvent("Something went wrong"), id="error-event"),
        pytest.param(Cut(), id="cut"),
    ],
)
async def test_error_after_partial_keeps_partial_with_notice(rig: Rig, ending: Step) -> None:
    rig.gitbook.script_ask([Snapshot("To rotate a key, open"), ending])
    final = await rig.final("How do I rotate an API key?")
    assert final.outcome is Outcome.FAILED
    assert final.markdown == "To rotate a key, open"
    assert final.notice
    # A failed answer is not cached: the next ask goes to GitBook again.
    rig.gitbook.script_ask([Snapshot("Complete."), DoneEvent()])
    assert (await rig.final("How do I rotate an API key?")).markdown == "Complete."
    assert len(rig.gitbook.ask_requests) == 2


async def test_empty_answer_is_no_answer_with_search_url(rig: Rig) -> None:
    rig.gitbook.script_ask(
        [Snapshot(None, sources=[page_source("pg_9", space="spc_1")]), DoneEvent()]
    )
    final = await rig.final("What is the airspeed of a swallow?")
    assert final.outcome is Outcome.NO_ANSWER
    assert final.markdown == "" and final.notice is None
    assert (
        final.search_url
        == "https://docs.example.com/?q=What%20is%20the%20airspeed%20of%20a%20swallow%3F"
    )
    assert [s.url for s in final.sources] == ["https://docs.example.com/security/api-keys"]


async def test_links_in_the_answer_point_to_published_pages(rig: Rig) -> None:
    rig.gitbook.add_page("spc_1", "pg_2", "Install", "getting-started/install")
    markdown = (
        "See [API keys](/spaces/spc_1/pages/pg_9#rotate), [install](/pages/pg_2), "
        "[the intro](getting-started/intro), [gone](/spaces/spc_1/pages/missing), "
        "[a file](/spaces/spc_1/files/f_1) and [GitBook](https://www.gitbook.com/)."
    )
    rig.gitbook.script_ask(
        [Snapshot(markdown, sources=[page_source("pg_9", space="spc_1")]), DoneEvent()]
    )
    final = await rig.final("Where are the docs on keys?")
    assert final.markdown == (
        "See [API keys](https://docs.example.com/security/api-keys#rotate), "
        "[install](https://docs.example.com/getting-started/install), "
        "[the intro](https://docs.example.com/getting-started/intro), gone, "
        "a file and [GitBook](https://www.gitbook.com/)."
    )


async def test_sources_are_deduplicated_and_capped_at_five(rig: Rig) -> None:
    for n in range(1, 8):
        rig.gitbook.add_page("spc_1", f"p{n}", f"Page {n}", f"page-{n}")
    sources = [
        page_source("p1", space="spc_1"),
        page_source("p1", space="spc_1"),  # the same source twice
        page_source("p2", space="spc_1"),
        page_source("p2", space="spc_1", revision="rev_2"),  # another revision, same page URL
        record_source("Changelog", "https://example.com/changelog"),
        record_source("Changelog", "https://example.com/changelog", record="rec_2"),
        *(page_source(f"p{n}", space="spc_1") for n in range(3, 8)),
    ]
    rig.gitbook.script_ask([Snapshot("Answer.", sources=sources), DoneEvent()])
    final = await rig.final("List everything")
    assert [s.url for s in final.sources] == [
        "https://docs.example.com/page-1",
        "https://docs.example.com/page-2",
        "https://example.com/changelog",
        "https://docs.example.com/page-3",
        "https://docs.example.com/page-4",
    ]
    assert final.sources[0].title == "Page 1"


async def test_failing_page_look_up_drops_that_source_but_keeps_the_answer(rig: Rig) -> None:
    rig.gitbook.add_page("spc_1", "p2", "Broken", "broken")
    rig.gitbook.fail_page("spc_1", "p2", status=500)
    rig.gitbook.script_ask(
        [
            Snapshot(
                "Answer.",
                sources=[page_source("p2", space="spc_1"), page_source("pg_9", space="spc_1")],
            ),
            DoneEvent(),
        ]
    )
    final = await rig.final("Which pages?")
    assert final.outcome is Outcome.ANSWERED and final.markdown == "Answer."
    assert [s.url for s in final.sources] == ["https://docs.example.com/security/api-keys"]


async def test_the_ask_body_is_what_the_contract_says_and_ids_go_only_to_insights(
    rig: Rig,
) -> None:
    rig.gitbook.script_ask([Snapshot("Yes."), DoneEvent()])
    await rig.final("Does it work?")
    await rig.gitbook.wait_until(lambda: len(rig.gitbook.insight_events) == 1)
    (ask,) = rig.gitbook.ask_requests
    (event,) = rig.gitbook.insight_events
    assert ask.body == {"question": "Does it work?", "scope": {"mode": "default"}}
    assert event["session"]["visitorId"].startswith("slack-")
    assert "U1" not in str(event["session"]) and "T1" not in str(event["session"])


async def test_insights_failure_does_not_affect_the_answer(rig: Rig) -> None:
    rig.gitbook.fail_insights(500)
    rig.gitbook.script_ask([Snapshot("Still answered."), DoneEvent()])
    final = await rig.final("Does it work?")
    assert final.markdown == "Still answered."
    await rig.tasks.join(grace_seconds=2.0)
    assert ("POST", "/v1/orgs/org_1/sites/site_1/insights/events") in rig.gitbook.calls


async def test_concurrent_identical_questions_share_one_ask(rig: Rig) -> None:
    gate = asyncio.Event()
    rig.gitbook.script_ask(
        [Snapshot("Shared"), WaitFor(gate), Snapshot("Shared answer."), DoneEvent()],
        question="What is shared?",
    )

    first = asyncio.create_task(rig.run("What is shared?"))
    second = asyncio.create_task(rig.run("what is SHARED"))
    await rig.gitbook.wait_until(lambda: len(rig.gitbook.ask_requests) == 1)
    gate.set()
    answers = [updates[-1] for updates in await asyncio.gather(first, second)]
    assert len(rig.gitbook.ask_requests) == 1
    assert all(isinstance(a, Answer) and a.markdown == "Shared answer." for a in answers)
