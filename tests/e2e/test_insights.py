"""Docs insights end to end: `/docs insights`, the App Home tab, who may see them, the digest.

GitBook's figures come from the fake's aggregate endpoint, computed from seeded `ask_question`
events plus the events the bot itself sends; unanswered and 👎 questions from the bot's store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import redis.asyncio as redis

from bot.insights.gaps import DocGaps, GapKind
from bot.insights.service import start_of_week
from bot.store import RedisStore
from tests.e2e.harness import RunningBot, mention, next_ts, running_bot
from tests.fakes.gitbook import (
    DoneEvent,
    FakeGitBook,
    HttpError,
    Snapshot,
    ask_question_event,
)
from tests.fakes.slack_api import FakeSlack, buttons, visible_text

VIEWER = "U0DOCS1"
OUTSIDER = "U0OTHER9"
ROTATE = "How do I rotate an API key?"
AUDIT = "Where are the audit logs?"
OLD = "What was the old pricing?"
DIGEST_CHANNEL = "C0DIGEST"


def _ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days, minutes=1)


def _seed(gitbook: FakeGitBook) -> None:
    """Six questions in the last 7 days (four from Slack), and an old one 10 days ago."""
    gitbook.seed_events(
        [
            *(ask_question_event(ROTATE, _ago(1), context="server") for _ in range(3)),
            ask_question_event("how do I rotate an api key", _ago(1), context="site"),
            *(ask_question_event(AUDIT, _ago(2), context="site") for _ in range(2)),
            *(ask_question_event(OLD, _ago(10), context="site") for _ in range(5)),
        ]
    )


async def _insights(bot: RunningBot, text: str = "insights", *, user: str = VIEWER) -> str:
    """Run `/docs <text>` and return the private reply's visible text."""
    response, key = await bot.command(text, user=user)
    assert response.status_code == 200
    await bot.slack.wait_until(lambda: len(bot.slack.webhooks_to(key)) == 1)
    reply = bot.slack.webhooks_to(key)[0].body
    assert reply["response_type"] == "ephemeral"
    return visible_text(reply)


def _publicly_posted(slack: FakeSlack) -> str:
    return "\n".join(visible_text(c.args) for c in slack.calls_to("chat.postMessage"))


async def _ask_with_no_answer(bot: RunningBot, question: str) -> None:
    bot.gitbook.script_ask([Snapshot(""), DoneEvent()], question=question)
    await bot.event(mention(question))
    await bot.slack.wait_until(
        lambda: any("couldn't find" in visible_text(m) for m in bot.slack.messages.values())
    )


async def _ask_and_rate_unhelpful(bot: RunningBot, question: str) -> None:
    bot.gitbook.script_ask([Snapshot("Use the Export page."), DoneEvent()], question=question)
    event = mention(question)
    await bot.event(event)

    def answered() -> dict[str, Any] | None:
        return next(
            (
                m
                for m in bot.slack.messages.values()
                if "Export page" in visible_text(m) and buttons(m)
            ),
            None,
        )

    await bot.slack.wait_until(lambda: answered() is not None)
    reply = answered()
    assert reply is not None
    thumbs_down = next(b for b in buttons(reply) if b["action_id"].endswith("not_helpful"))
    opened = len(bot.slack.opened_views)
    await bot.click(
        thumbs_down, channel=reply["channel"], message_ts=reply["ts"], thread_ts=event["ts"]
    )
    # The 👎 is recorded at the click; the modal asking why opens after it.
    await bot.slack.wait_until(lambda: len(bot.slack.opened_views) == opened + 1)


# --- the command ----------------------------------------------------------------------------------


async def test_viewer_sees_the_figures_of_the_last_7_days(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        await _ask_with_no_answer(bot, "Is there a dark mode?")
        await _ask_and_rate_unhelpful(bot, "How do I export data?")
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 2)
        text = await _insights(bot)
    # 6 seeded in range + the 2 questions asked through the bot, which GitBook counts as server.
    assert "*8* questions asked · Slack 63% · Docs site 38%" in text
    assert f"1. {ROTATE} — 4" in text  # the site's lower-case variant is the same question
    assert f"2. {AUDIT} — 2" in text
    assert "Is there a dark mode? — no answer ×1" in text
    assert "How do I export data? — 👎 ×1" in text
    assert OLD not in text  # 10 days ago: outside the range
    yesterday = _ago(1).strftime("%a %d %b")
    assert any(line.startswith(f"{yesterday}  4 █") for line in text.splitlines()), text
    assert {r["range"] for r in fake_gitbook.aggregate_requests} == {"last7Days"}
    assert fake_gitbook.schema_errors == []
    assert "Top questions" not in _publicly_posted(fake_slack)  # only ever ephemeral


@pytest.mark.parametrize(
    ("text", "preset", "per"),
    [
        pytest.param("insights 30d", "last30Days", "day", id="30d"),
        pytest.param("INSIGHTS 3m", "last3Months", "week", id="3m"),
    ],
)
async def test_longer_ranges_include_older_questions(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, text: str, preset: str, per: str
) -> None:
    _seed(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _insights(bot, text)
    assert f"1. {OLD} — 5" in reply
    assert "*11* questions asked" in reply
    assert f"Questions per {per}" in reply
    assert {r["range"] for r in fake_gitbook.aggregate_requests} == {preset}


async def test_unknown_range_gets_the_usage(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _insights(bot, "insights 1y")
    assert "Usage: `/docs insights [7d|30d|3m]`" in reply
    assert fake_gitbook.aggregate_requests == [] and fake_gitbook.ask_requests == []


async def test_a_question_starting_with_insights_is_still_a_question(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        _, key = await bot.command("insights about our SSO setup?", user=VIEWER)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert [r.question for r in fake_gitbook.ask_requests] == ["insights about our SSO setup?"]
    assert fake_gitbook.aggregate_requests == []


async def test_non_viewer_is_refused_and_sees_no_figures(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _insights(bot, user=OUTSIDER)
    assert "only available to the docs team" in reply
    assert ROTATE not in reply and "questions asked" not in reply
    assert fake_gitbook.aggregate_requests == []


async def test_nobody_is_a_viewer_when_none_are_listed(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        reply = await _insights(bot, user=VIEWER)
    assert "only available to the docs team" in reply
    assert fake_gitbook.aggregate_requests == []


async def test_member_of_a_listed_user_group_is_a_viewer(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook)
    fake_slack.usergroups["S0DOCSTEAM"] = ["U0WRITER3", "U0EDITOR4"]
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS="S0DOCSTEAM") as bot:
        member = await _insights(bot, user="U0EDITOR4")
        again = await _insights(bot, user="U0EDITOR4")
        outsider = await _insights(bot, user=OUTSIDER)
    assert f"1. {ROTATE} — 4" in member and f"1. {ROTATE} — 4" in again
    assert "only available to the docs team" in outsider
    lookups = fake_slack.calls_to("usergroups.users.list")
    assert [c.args["usergroup"] for c in lookups] == ["S0DOCSTEAM"]  # membership is cached


async def test_empty_range_says_so(fake_slack: FakeSlack, fake_gitbook: FakeGitBook) -> None:
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _insights(bot)
    assert "No questions were asked in the last 7 days" in reply


FAILURES = [
    pytest.param(HttpError(403, "Forbidden"), "refused the bot's token (HTTP 403)", id="403"),
    pytest.param(HttpError(401, "Unauthorized"), "refused the bot's token (HTTP 401)", id="401"),
    pytest.param(HttpError(500, "Internal error"), "couldn't load the docs insights", id="500"),
    pytest.param(
        {"columns": [{"column": "eventsCount", "values": [1, 2]}]},
        "unexpected format",
        id="rows-without-their-columns",
    ),
]


@pytest.mark.parametrize(("answer", "expected"), FAILURES)
async def test_gitbook_failure_is_a_clear_message(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, answer: Any, expected: str
) -> None:
    fake_gitbook.script_aggregate(answer)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _insights(bot)
    assert expected in reply
    assert "Traceback" not in reply and "Error" not in reply


# --- App Home -------------------------------------------------------------------------------------


def _home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "ts": next_ts(),
    }


async def _open_home(bot: RunningBot, user: str) -> str:
    response = await bot.event(_home_opened(user))
    assert response.status_code == 200
    await bot.slack.wait_until(lambda: user in bot.slack.home_views)
    return visible_text(bot.slack.home_views[user])


async def test_app_home_shows_a_viewer_the_figures(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        await bot.event(_home_opened(VIEWER, tab="messages"))  # nothing to publish
        text = await _open_home(bot, VIEWER)
    assert f"1. {ROTATE} — 4" in text and "*6* questions asked" in text
    (publish,) = fake_slack.calls_to("views.publish")
    assert publish.args["user_id"] == VIEWER


async def test_app_home_for_others_is_a_short_note_without_figures(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _seed(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        text = await _open_home(bot, OUTSIDER)
    assert "not available to you" in text
    assert ROTATE not in text and "questions asked" not in text
    assert fake_gitbook.aggregate_requests == []


async def test_app_home_says_clearly_when_gitbook_fails(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_aggregate(HttpError(403, "Forbidden"))
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        text = await _open_home(bot, VIEWER)
    assert "refused the bot's token (HTTP 403)" in text


# --- the weekly digest ----------------------------------------------------------------------------


def _next_monday_at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment of next week's Monday: its digest covers the current (real) week."""
    monday = start_of_week(dt.datetime.now(dt.UTC)) + dt.timedelta(days=7)
    return monday + dt.timedelta(hours=hour, minutes=minute)


def _digest_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [
        c.args for c in slack.calls_to("chat.postMessage") if c.args["channel"] == DIGEST_CHANNEL
    ]


async def test_digest_is_posted_once_across_two_processes(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    this_week = start_of_week(now) + (now - start_of_week(now)) / 2  # never last week
    fake_gitbook.seed_events(
        [
            *(ask_question_event(ROTATE, this_week) for _ in range(2)),
            ask_question_event(AUDIT, this_week),
            *(ask_question_event(OLD, this_week - dt.timedelta(days=7)) for _ in range(2)),
        ]
    )
    store_client = redis.Redis.from_url(redis_url)
    try:
        gaps = DocGaps(RedisStore(store_client, prefix=redis_key_prefix))
        await gaps.record(GapKind.NO_ANSWER, "Is there a dark mode?")
    finally:
        await store_client.aclose()
    clock = _next_monday_at(9, 0)
    shared: dict[str, Any] = {
        "redis_url": redis_url,
        "key_prefix": redis_key_prefix,
        "clock": lambda: clock,
        "INSIGHTS_DIGEST_CHANNEL": DIGEST_CHANNEL,
    }
    async with (
        running_bot(fake_slack, fake_gitbook, **shared) as first,
        running_bot(fake_slack, fake_gitbook, **shared) as second,
    ):
        digests = [bot.service.digest for bot in (first, second)]
        await fake_slack.wait_until(lambda: all(d is not None and d.checks >= 1 for d in digests))
    (post,) = _digest_posts(fake_slack)
    text = visible_text(post)
    assert "Weekly docs digest" in text
    assert "*3* questions asked" in text and "▲ 50% vs the week before (2)" in text
    assert f"1. {ROTATE} — 2" in text
    assert "Is there a dark mode? — no answer ×1" in text
    assert OLD not in text


async def test_no_digest_without_a_channel(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    clock = _next_monday_at(9, 30)
    async with running_bot(fake_slack, fake_gitbook, clock=lambda: clock) as bot:
        assert bot.service.digest is None
        await _insights(bot)  # the bot is up and serving
    assert fake_slack.calls_to("chat.postMessage") == []
    assert fake_gitbook.aggregate_requests == []


async def test_no_digest_before_monday_nine(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    clock = _next_monday_at(8, 59)
    async with running_bot(
        fake_slack, fake_gitbook, clock=lambda: clock, INSIGHTS_DIGEST_CHANNEL=DIGEST_CHANNEL
    ) as bot:
        digest = bot.service.digest
        assert digest is not None
        await fake_slack.wait_until(lambda: digest.checks >= 1)
    assert _digest_posts(fake_slack) == []
