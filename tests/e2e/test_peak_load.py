"""A burst of questions across channels, two bot processes, Slack's rate limits enforced."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import Delay, DoneEvent, FakeGitBook, Snapshot
from tests.fakes.slack_api import FakeSlack, visible_text

QUESTIONS = 50
CHANNELS = 10
UNFINISHED = ("Searching the docs", "Writing…")
LIMITS = {
    "chat.update": 50,
    "chat.postMessage": 120,
    "chat.startStream": 20,
    "chat.appendStream": 100,
    "chat.stopStream": 20,
}


def _script(gitbook: FakeGitBook, index: int) -> str:
    final = f"Answer number {index}: open the settings page and follow the steps."
    gitbook.script_ask(
        [
            Snapshot(final[:15]),
            Delay(0.2),
            Snapshot(final[:40]),
            Delay(0.2),
            Snapshot(final),
            DoneEvent(),
        ],
        question=f"question {index}?",
    )
    return final


async def test_a_burst_of_50_questions_all_land_complete_within_slacks_limits(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    redis_url: str,
    redis_key_prefix: str,
    stream_mode: str,
) -> None:
    # Slack's per-workspace tiers, and chat.postMessage per channel (docs/slack.md §3).
    for method, per_minute in LIMITS.items():
        fake_slack.set_rate_limit(method, per_minute=per_minute, retry_after=1)
    fake_slack.set_channel_post_limit(burst=5, per_second=1.0)
    finals = [_script(fake_gitbook, i) for i in range(QUESTIONS)]
    shared = {"redis_url": redis_url, "key_prefix": redis_key_prefix, "STREAM_MODE": stream_mode}
    async with (
        running_bot(fake_slack, fake_gitbook, **shared) as first,
        running_bot(fake_slack, fake_gitbook, **shared) as second,
    ):
        events = [
            mention(f"question {i}?", channel=f"C{i % CHANNELS:03d}", user=f"U{i:04d}")
            for i in range(QUESTIONS)
        ]
        responses = await asyncio.gather(
            *((first, second)[i % 2].event(event) for i, event in enumerate(events))
        )
        assert all(r.status_code == 200 for r in responses)

        def complete() -> bool:
            texts = [visible_text(m) for m in fake_slack.messages.values()]
            return all(any(final in t for t in texts) for final in finals)

        await fake_slack.wait_until(complete, timeout=45)
    visible = [visible_text(m) for m in fake_slack.messages.values()]
    assert not [t for t in visible if any(marker in t for marker in UNFINISHED)]
    assert not [m for m in fake_slack.messages.values() if m["streaming"]]
    for i, event in enumerate(events):
        thread = fake_slack.thread(event["channel"], event["ts"])
        assert sum(finals[i] in visible_text(m) for m in thread) == 1, f"question {i}"
    assert len(fake_gitbook.ask_requests) == QUESTIONS
    received_429 = sum(fake_slack.count_429.values())
    streams = len(fake_slack.calls_to("chat.startStream"))
    print(f"\n{stream_mode}: {streams} native streams; 429s {dict(fake_slack.count_429)}")
    assert received_429 <= 10
    if stream_mode == "native":  # as many native streams as Tier 2 allows, edits for the rest
        assert 0 < streams <= LIMITS["chat.startStream"]
