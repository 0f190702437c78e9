"""The weekly digest: when it is due, the lock per ISO week, what it posts, and its loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.gitbook.client import GitBookClient, make_http_client
from bot.insights.digest import WeeklyDigest, is_due, lock_key
from bot.insights.gaps import DocGaps
from bot.insights.service import InsightsService
from bot.settings import GitBookSettings, Secret
from bot.store import MemoryStore
from tests.fakes.gitbook import FakeGitBook, HttpError, ask_question_event
from tests.fakes.slack_api import FakeSlack, visible_text

MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # ISO week 48
CHANNEL = "C0DIGEST"


@pytest.mark.parametrize(
    ("when", "due"),
    [
        pytest.param(MONDAY + dt.timedelta(hours=8, minutes=59), False, id="monday-08:59"),
        pytest.param(MONDAY + dt.timedelta(hours=9), True, id="monday-09:00"),
        pytest.param(MONDAY + dt.timedelta(hours=14, minutes=59), True, id="monday-14:59-late"),
        pytest.param(MONDAY + dt.timedelta(hours=15), False, id="monday-15:00-too-late"),
        pytest.param(MONDAY + dt.timedelta(days=1, hours=9), False, id="tuesday-09:00"),
        pytest.param(MONDAY - dt.timedelta(hours=15), False, id="sunday-09:00"),
    ],
)
def test_due_on_monday_from_nine_utc(when: dt.datetime, due: bool) -> None:
    assert is_due(when) is due


def test_one_lock_per_iso_week() -> None:
    assert lock_key(MONDAY) == "docsbot:digest:2026-W48"
    assert lock_key(MONDAY + dt.timedelta(days=6, hours=23)) == "docsbot:digest:2026-W48"
    assert lock_key(MONDAY + dt.timedelta(days=7)) == "docsbot:digest:2026-W49"
    assert lock_key(dt.datetime(2027, 1, 1, tzinfo=dt.UTC)) == "docsbot:digest:2026-W53"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Rig:
    digest: WeeklyDigest
    clock: Clock
    slack: FakeSlack
    gitbook: FakeGitBook

    def posts(self) -> list[str]:
        return [visible_text(c.args) for c in self.slack.calls_to("chat.postMessage") if c.ok]


@pytest.fixture
async def rig(fake_gitbook: FakeGitBook, fake_slack: FakeSlack) -> AsyncIterator[Rig]:
    settings = GitBookSettings(
        api_token=Secret(fake_gitbook.token),
        organization_id=fake_gitbook.org,
        site_id=fake_gitbook.site,
        api_url=fake_gitbook.url,
        timeout_seconds=2.0,
    )
    clock = Clock(MONDAY + dt.timedelta(hours=9))
    store = MemoryStore()
    async with make_http_client(settings) as http:
        insights = InsightsService(GitBookClient(http, settings), DocGaps(store), clock=clock)
        slack = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
        digest = WeeklyDigest(insights, slack, store, CHANNEL, clock=clock, interval=0.01)
        yield Rig(digest, clock, fake_slack, fake_gitbook)
        await digest.stop()
    assert fake_gitbook.schema_errors == []


async def test_posts_once_per_week(rig: Rig) -> None:
    week_before = MONDAY - dt.timedelta(days=3)
    rig.gitbook.seed_events([ask_question_event("How do I log in?", week_before)])
    assert await rig.digest.run_once() is True
    assert await rig.digest.run_once() is False  # same week: the lock is taken
    rig.clock.now += dt.timedelta(days=7)
    assert await rig.digest.run_once() is True
    first, second = rig.posts()
    assert "1. How do I log in? — 1" in first and "week of 16 Nov 2026" in first
    assert "*1* question asked" in first
    assert "No questions were asked in the week of 23 Nov 2026" in second
    ranges = [r["range"] for r in rig.gitbook.aggregate_requests[:2]]
    assert ranges == [
        {"from": "2026-11-09T00:00:00.000Z", "to": "2026-11-23T00:00:00.000Z"},  # 2 weeks, daily
        {"from": "2026-11-16T00:00:00.000Z", "to": "2026-11-23T00:00:00.000Z"},  # top questions
    ]


async def test_not_due_posts_nothing_and_takes_no_lock(rig: Rig) -> None:
    rig.clock.now = MONDAY + dt.timedelta(hours=8)
    assert await rig.digest.run_once() is False
    rig.clock.now = MONDAY + dt.timedelta(hours=9)
    assert await rig.digest.run_once() is True
    assert len(rig.posts()) == 1


async def test_gitbook_failure_posts_a_clear_notice(rig: Rig) -> None:
    rig.gitbook.script_aggregate(HttpError(403, "Forbidden"))
    assert await rig.digest.run_once() is True
    (post,) = rig.posts()
    assert "weekly docs digest could not be built" in post
    assert "refused the bot's token (HTTP 403)" in post


async def test_loop_survives_a_failed_post_and_stops_on_request(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.slack.fail_next("chat.postMessage", "not_in_channel")
    rig.digest.start()
    await rig.slack.wait_until(lambda: rig.digest.checks >= 3)  # it kept checking
    await rig.digest.stop()
    await rig.digest.stop()  # stopping twice is fine
    assert any("weekly digest failed" in r.getMessage() for r in caplog.records)
    assert rig.posts() == []  # the week's lock was taken: no retry storm into a closed channel
    assert len(rig.slack.calls_to("chat.postMessage")) == 1


async def test_stop_without_start_does_nothing(rig: Rig) -> None:
    await rig.digest.stop()
    assert rig.digest.checks == 0
