"""Suggested prompts: the docs team's most-asked questions (cached), starters for everyone else."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.gitbook.client import GitBookClient
from bot.insights.access import InsightsAccess
from bot.insights.gaps import DocGaps
from bot.insights.prompts import TOP_QUESTIONS_TTL_SECONDS, SuggestedPrompts
from bot.insights.service import InsightsService
from bot.settings import GitBookSettings, Secret
from bot.store import MemoryStore
from tests.fakes.gitbook import FakeGitBook, HttpError, ask_question_event
from tests.fakes.slack_api import FakeSlack
from tests.support import FakeClock

VIEWER = "U0DOCS1"


@pytest.fixture
async def insights(fake_gitbook: FakeGitBook) -> AsyncIterator[InsightsService]:
    settings = GitBookSettings(Secret("gb-token"), "org_1", "site_1", api_url=fake_gitbook.url)
    async with httpx.AsyncClient(
        base_url=settings.api_url + "/", headers={"Authorization": "Bearer gb-token"}
    ) as http:
        yield InsightsService(GitBookClient(http, settings), DocGaps(MemoryStore()))


@pytest.fixture
def access(fake_slack: FakeSlack) -> InsightsAccess:
    slack = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
    return InsightsAccess(slack, MemoryStore(), frozenset({VIEWER}))


def _seed(gitbook: FakeGitBook, *questions: str) -> None:
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    gitbook.seed_events([ask_question_event(q, yesterday) for q in questions])


async def test_everyone_outside_the_docs_team_gets_the_starters(
    access: InsightsAccess, insights: InsightsService, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook, "Why was my account suspended?")
    prompts = SuggestedPrompts(access, insights, ())
    assert await prompts.for_user("U0OTHER") == notices.STARTER_PROMPTS
    assert fake_gitbook.aggregate_requests == []  # insights are not even read for them


async def test_configured_prompts_replace_the_starters(
    access: InsightsAccess, insights: InsightsService
) -> None:
    prompts = SuggestedPrompts(access, insights, ("How do I deploy?",))
    assert await prompts.for_user("U0OTHER") == ("How do I deploy?",)


async def test_the_docs_team_gets_at_most_four_most_asked_questions_cached_a_few_minutes(
    access: InsightsAccess, insights: InsightsService, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook, *(["a b"] * 5), *(["c d"] * 4), *(["e f"] * 3), *(["g h"] * 2), "i j")
    clock = FakeClock(0.0)
    prompts = SuggestedPrompts(access, insights, (), clock=clock)
    assert await prompts.for_user(VIEWER) == ("a b", "c d", "e f", "g h")
    clock.now = TOP_QUESTIONS_TTL_SECONDS - 1
    await prompts.for_user(VIEWER)
    assert len(fake_gitbook.aggregate_requests) == 1
    clock.now = TOP_QUESTIONS_TTL_SECONDS
    await prompts.for_user(VIEWER)
    assert len(fake_gitbook.aggregate_requests) == 2


async def test_the_docs_team_gets_the_starters_when_insights_fail_or_are_empty(
    access: InsightsAccess, insights: InsightsService, fake_gitbook: FakeGitBook
) -> None:
    empty = SuggestedPrompts(access, insights, ())
    assert await empty.for_user(VIEWER) == notices.STARTER_PROMPTS  # no questions yet
    fake_gitbook.script_aggregate(HttpError(500, "boom"))
    failing = SuggestedPrompts(access, insights, ())
    assert await failing.for_user(VIEWER) == notices.STARTER_PROMPTS
    assert len(fake_gitbook.aggregate_requests) == 2  # the failed query was made
