"""GitBook's Ask stream as it really behaves, end to end (issue 14): what the asker sees.

Events under any name, a byte order mark, keep-alives that never end, an answer that grows
past its deadline: every question still ends with what GitBook wrote and, if cut, a notice.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import DoneEvent, Drip, FakeGitBook, KeepAlive, Raw, Snapshot, Step
from tests.fakes.slack_api import FakeSlack, visible_text

SLOW = "took too long"  # GitBookTimeout's notice to the asker
_GENEROUS = 20.0  # seconds: a deadline on the test, far beyond the bot's own limits


async def _final_reply(slack: FakeSlack, event: dict[str, str], *, wait: float = 5.0) -> str:
    """The text of the bot's reply once it is no longer being written."""

    def texts() -> list[str]:
        return [visible_text(m) for m in slack.thread(event["channel"], event["ts"])]

    def done() -> bool:
        return any(t and "Writing" not in t and "Searching" not in t for t in texts())

    await slack.wait_until(done, timeout=wait)
    return "\n".join(t for t in texts() if t)


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([Snapshot("Named answer.", event="answer"), DoneEvent()], id="event-answer"),
        pytest.param([Raw("\ufeff" + Snapshot("Named answer.").to_sse()), DoneEvent()], id="bom"),
        pytest.param(
            [Raw(": hi\n\n"), Snapshot("Named answer.", event="chunk"), Raw("event: done\n\n")],
            id="comment-then-named-then-bare-done",
        ),
    ],
)
async def test_a_stream_gitbooks_own_client_reads_is_answered(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, script: list[Step]
) -> None:
    fake_gitbook.script_ask(script)
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = mention("what does a named event say?")
        await bot.event(event)
        text = await _final_reply(fake_slack, event)
    assert "Named answer." in text
    assert "couldn't find an answer" not in text


async def test_keep_alives_after_one_snapshot_end_the_answer_with_its_text_and_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("The first half"), KeepAlive(0.2)])
    async with running_bot(fake_slack, fake_gitbook, GITBOOK_TIMEOUT_SECONDS="1") as bot:
        event = mention("will this ever finish?")
        await bot.event(event)
        text = await _final_reply(fake_slack, event, wait=_GENEROUS)
    assert "The first half" in text and SLOW in text
    assert len(fake_gitbook.ask_requests) == 1  # text was shown: no second Ask


async def test_an_answer_growing_past_its_deadline_ends_with_its_text_and_a_notice(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Drip(0.1, word="growing")])
    async with running_bot(fake_slack, fake_gitbook, ANSWER_DEADLINE_SECONDS="1.5") as bot:
        event = mention("how long can an answer be?")
        await bot.event(event)
        text = await _final_reply(fake_slack, event, wait=_GENEROUS)
    assert "growing growing" in text and SLOW in text
    assert len(fake_gitbook.ask_requests) == 1
