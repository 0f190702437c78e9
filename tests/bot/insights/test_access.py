"""Who may see insights: listed users, members of listed user groups (cached), nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.insights.access import InsightsAccess
from bot.store import MemoryStore
from tests.fakes.slack_api import FakeSlack
from tests.support import FakeClock


@pytest.fixture
async def slack(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    fake_slack.usergroups["S0DOCS"] = ["U0WRITER"]
    yield AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)


async def test_listed_users_and_group_members_may_see_insights(
    slack: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    access = InsightsAccess(slack, MemoryStore(), frozenset({"U0LEAD", "W0ENTERPRISE", "S0DOCS"}))
    assert await access.allows("U0LEAD") and await access.allows("W0ENTERPRISE")
    assert await access.allows("U0WRITER")
    assert not await access.allows("U0OTHER")
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1  # members cached in the store


async def test_listed_users_need_no_slack_call(
    slack: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    access = InsightsAccess(slack, MemoryStore(), frozenset({"U0LEAD", "S0DOCS"}))
    assert await access.allows("U0LEAD")
    assert fake_slack.calls_to("usergroups.users.list") == []


async def test_empty_list_means_nobody(slack: AsyncWebClient) -> None:
    assert not await InsightsAccess(slack, MemoryStore(), frozenset()).allows("U0LEAD")


async def test_group_membership_is_looked_up_again_after_a_few_minutes(
    slack: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(0.0)
    access = InsightsAccess(slack, MemoryStore(clock=clock), frozenset({"S0DOCS"}))
    assert not await access.allows("U0NEWHIRE")
    fake_slack.usergroups["S0DOCS"].append("U0NEWHIRE")
    assert not await access.allows("U0NEWHIRE")  # still the cached membership
    clock.now = 301.0
    assert await access.allows("U0NEWHIRE")
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2


@pytest.mark.parametrize("error", ["missing_scope", "no_such_subteam"])
async def test_a_group_that_cannot_be_listed_lets_nobody_in(
    slack: AsyncWebClient, fake_slack: FakeSlack, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("usergroups.users.list", error)
    access = InsightsAccess(slack, MemoryStore(), frozenset({"S0DOCS"}))
    assert not await access.allows("U0WRITER")
    assert error in caplog.text
    assert await access.allows("U0WRITER")  # a failure is not cached: the next look-up works
