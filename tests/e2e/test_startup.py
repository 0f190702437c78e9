"""Start-up checks the bot token once: refused → one clear error; unreachable → carry on."""

from __future__ import annotations

import pytest

from bot.errors import StartupError
from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.slack_api import FakeSlack


async def test_a_revoked_token_stops_start_up_with_one_clear_error(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("auth.test", "token_revoked")
    with pytest.raises(StartupError, match="SLACK_BOT_TOKEN was refused by Slack"):
        async with running_bot(fake_slack, fake_gitbook):
            pass


async def test_a_burst_of_first_events_shares_the_start_up_auth_test(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        for index in range(5):
            await bot.event(mention(f"question {index}", user=f"U{index}"))
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.ask_requests) == 5)
    assert len(fake_slack.calls_to("auth.test")) == 1


async def test_slack_failing_at_start_up_still_acks_and_answers_then_learns_who_it_is(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_slack.fail_next("auth.test", "internal_error")  # start-up's check
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response = await bot.event(mention("are you there?"))
        assert response.status_code == 200  # acked at once, never a 500
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.ask_requests) == 1)
        # The bot's own mention was removed: the event's `authorizations` named the bot user.
        assert fake_gitbook.ask_requests[0].question == "are you there?"
        # auth.test is tried again in the background, not on the event's path.
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("auth.test")) == 2)
