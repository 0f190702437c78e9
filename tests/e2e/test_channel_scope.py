"""`/docs scope` end to end: who may set it, the picker, and what GitBook then receives.

A scoped channel's questions (mention, /docs, auto-answer, shortcut) go to Ask with
`{"mode": "specific", "siteSpaceIds": [...]}`, validated by the fake against GitBook's OpenAPI.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.e2e.harness import TEAM, RunningBot, mention, running_bot
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.slack_api import FakeSlack, visible_text

VIEWER = "U0DOCS1"
OUTSIDER = "U0OTHER9"
CHANNEL = "C0SCOPED"
OTHER_CHANNEL = "C0OTHER"


def _site(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("space_a", "https://docs.example.com/", "sitesp_guides", title="Guides")
    gitbook.add_site_space("space_b", "https://docs.example.com/api/", "sitesp_api", title="API")
    gitbook.add_site_space("space_c", "https://docs.example.com/ops/", "sitesp_ops", title="Ops")


async def _scope(bot: RunningBot, text: str, *, user: str = VIEWER) -> dict[str, Any]:
    """Run `/docs <text>` in CHANNEL; return the private reply."""
    response, key = await bot.command(text, user=user, channel=CHANNEL)
    assert response.status_code == 200
    await bot.slack.wait_until(lambda: len(bot.slack.webhooks_to(key)) == 1)
    reply = bot.slack.webhooks_to(key)[0].body
    assert reply["response_type"] == "ephemeral"
    return reply


async def _asked_scope(bot: RunningBot, question: str, channel: str) -> dict[str, Any]:
    """Mention the bot with question in channel; return the scope GitBook received for it."""
    before = len(bot.gitbook.ask_requests)
    await bot.event(mention(question, channel=channel))
    await bot.gitbook.wait_until(lambda: len(bot.gitbook.ask_requests) > before)
    request = bot.gitbook.ask_requests[before]
    assert request.question == question
    scope: dict[str, Any] = request.body["scope"]
    return scope


def _picker(reply: dict[str, Any]) -> dict[str, Any]:
    return next(
        e
        for block in reply.get("blocks") or []
        for e in block.get("elements") or []
        if e.get("type") == "multi_static_select"
    )


async def _pick(bot: RunningBot, values: list[str], *, user: str = VIEWER) -> dict[str, Any]:
    """Choose values in the picker of a private `/docs scope` reply; return the response."""
    key = f"pick{time.monotonic_ns()}"
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000900",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
        "channel": {"id": CHANNEL},
        "trigger_id": "tr1",
        "response_url": bot.slack.response_url(key),
        "actions": [
            {
                "action_id": "docsbot_scope_pick",
                "block_id": "docsbot_scope",
                "type": "multi_static_select",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": v}, "value": v} for v in values
                ],
                "action_ts": str(time.time()),
            }
        ],
    }
    response = await bot.post(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    await bot.slack.wait_until(lambda: len(bot.slack.webhooks_to(key)) == 1)
    return bot.slack.webhooks_to(key)[0].body


async def test_scope_shows_the_site_spaces_with_a_picker(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _scope(bot, "scope")
    text = visible_text(reply)
    assert "whole docs site" in text
    for title, site_space in (
        ("Guides", "sitesp_guides"),
        ("API", "sitesp_api"),
        ("Ops", "sitesp_ops"),
    ):
        assert title in text and site_space in text
    picker = _picker(reply)
    assert [o["text"]["text"] for o in picker["options"]] == ["Guides", "API", "Ops"]
    assert [o["value"] for o in picker["options"]] == ["sitesp_guides", "sitesp_api", "sitesp_ops"]
    assert fake_slack.refusals == []
    assert fake_gitbook.ask_requests == []  # a command, not a question


async def test_scope_by_title_or_id_limits_the_channels_questions(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _scope(bot, "scope guides, sitesp_api")
        assert "Guides" in visible_text(reply) and "API" in visible_text(reply)
        scoped = await _asked_scope(bot, "how do I deploy?", CHANNEL)
        elsewhere = await _asked_scope(bot, "how do I deploy?", OTHER_CHANNEL)
        shown = await _scope(bot, "scope")
    assert scoped == {"mode": "specific", "siteSpaceIds": ["sitesp_guides", "sitesp_api"]}
    assert elsewhere == {"mode": "default"}  # the scope is the channel's only
    assert fake_gitbook.schema_errors == []  # the specific scope is valid against the OpenAPI
    # Cached answers are keyed by scope: the unscoped channel asked GitBook again.
    assert len(fake_gitbook.ask_requests) == 2
    assert "Guides" in visible_text(shown).split("\n")[0]
    assert [o["value"] for o in _picker(shown)["initial_options"]] == [
        "sitesp_guides",
        "sitesp_api",
    ]


async def test_scope_all_clears_the_scope(fake_slack: FakeSlack, fake_gitbook: FakeGitBook) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        await _scope(bot, "scope Ops")
        first = await _asked_scope(bot, "where are the runbooks?", CHANNEL)
        reply = await _scope(bot, "scope all")
        second = await _asked_scope(bot, "where are the dashboards?", CHANNEL)
    assert first == {"mode": "specific", "siteSpaceIds": ["sitesp_ops"]}
    assert "whole docs site" in visible_text(reply)
    assert second == {"mode": "default"}


async def test_a_single_site_space_scope_is_the_insights_events_site_space(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        await _scope(bot, "scope API")
        await _asked_scope(bot, "what is the rate limit?", CHANNEL)
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 1)
    (event,) = fake_gitbook.insight_events
    assert event["location"]["siteSpace"] == "sitesp_api"
    assert fake_gitbook.schema_errors == []


async def test_unknown_spaces_are_refused_with_the_valid_ones(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        reply = await _scope(bot, "scope Guides, Billing")
        scope = await _asked_scope(bot, "how do I pay?", CHANNEL)
    text = visible_text(reply)
    assert "Billing" in text and all(t in text for t in ("Guides", "API", "Ops"))
    assert scope == {"mode": "default"}  # nothing changed


async def test_people_outside_the_docs_team_are_refused_and_nothing_changes(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        shown = await _scope(bot, "scope", user=OUTSIDER)
        changed = await _scope(bot, "scope Ops", user=OUTSIDER)
        picked = await _pick(bot, ["sitesp_ops"], user=OUTSIDER)
        scope = await _asked_scope(bot, "where are the runbooks?", CHANNEL)
    for reply in (shown, changed, picked):
        assert "only the docs team" in visible_text(reply)
        assert "Ops" not in visible_text(reply)
    assert scope == {"mode": "default"}


async def test_the_picker_sets_the_scope_and_shows_it(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        picked = await _pick(bot, ["sitesp_ops"])
        scope = await _asked_scope(bot, "where are the runbooks?", CHANNEL)
        cleared = await _pick(bot, [])
        after = await _asked_scope(bot, "where are the dashboards?", CHANNEL)
    assert picked["replace_original"] is True
    assert "search only" in visible_text(picked) and "Ops" in visible_text(picked)
    assert scope == {"mode": "specific", "siteSpaceIds": ["sitesp_ops"]}
    assert "whole docs site" in visible_text(cleared)
    assert after == {"mode": "default"}


async def test_a_scoped_channels_slash_command_questions_are_scoped(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        await _scope(bot, "scope Guides")
        reply = await _scope(bot, "how do I deploy?", user=OUTSIDER)  # a question, privately
    assert "Searching" not in visible_text(reply)
    (request,) = fake_gitbook.ask_requests
    assert request.body["scope"] == {"mode": "specific", "siteSpaceIds": ["sitesp_guides"]}


async def test_without_site_spaces_from_gitbook_the_scope_says_so(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook, INSIGHTS_VIEWERS=VIEWER) as bot:
        shown = await _scope(bot, "scope")
        changed = await _scope(bot, "scope Guides")
    for reply in (shown, changed):
        assert "couldn't list the docs site's spaces" in visible_text(reply)
    assert fake_slack.refusals == []
