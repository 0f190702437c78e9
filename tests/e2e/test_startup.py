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
