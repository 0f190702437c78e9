"""A mention, end to end: signed HTTP in, placeholder, growing edits, final answer, cache."""

from __future__ import annotations

import asyncio
import json

from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, WaitFor, page_source
from tests.fakes.openapi import validate_request_body
from tests.fakes.slack_api import FakeSlack, buttons, visible_text

QUESTION = "How do I rotate an API key?"
FINAL = (
    "To rotate a key, open **Settings → API keys** and click *Rotate*. "
    "See [API keys](/spaces/spc_1/pages/pg_9)."
)


def _site(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("spc_1", "https://docs.example.com/")
    gitbook.add_page("spc_1", "pg_9", "API keys", "security/api-keys")


async def test_mention_streams_into_one_reply_then_serves_the_repeat_from_cache(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    _site(fake_gitbook)
    gates = [asyncio.Event() for _ in range(3)]
    fake_gitbook.script_ask(
        [
            Snapshot("To rotate"),
            WaitFor(gates[0]),
            Snapshot("To rotate a key, open **Settings"),
            WaitFor(gates[1]),
            Snapshot(
                FINAL,
                sources=[page_source("pg_9", space="spc_1", revision="rev_3")],
                followups=["How do I revoke a key?"],
            ),
            WaitFor(gates[2]),
            DoneEvent(),
        ]
    )
    async with running_bot(
        fake_slack, fake_gitbook, redis_url=redis_url, key_prefix=redis_key_prefix
    ) as bot:
        event = mention(QUESTION)
        response = await bot.event(event)
        assert response.status_code == 200
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) == 1)
        placeholder = fake_slack.calls_to("chat.postMessage")[0].args
        assert placeholder["thread_ts"] == event["ts"]
        assert "Searching the docs" in visible_text(placeholder)
        for count, gate in enumerate(gates, start=1):
            await fake_slack.wait_until(
                lambda c=count: len(fake_slack.calls_to("chat.update")) >= c
            )
            gate.set()
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.update")) >= 4)
        edits = [visible_text(c.args) for c in fake_slack.calls_to("chat.update")]
        assert "To rotate" in edits[0]
        # A cut-off emphasis is closed while streaming, never shown raw.
        assert "**Settings**" in edits[1] or "Settings" in edits[1]
        reply = fake_slack.messages[(event["channel"], placeholder_ts(fake_slack))]
        text = visible_text(reply)
        assert "To rotate a key, open **Settings → API keys**" in text
        assert "https://docs.example.com/security/api-keys" in text  # link made absolute
        assert "Sources" in text and "API keys" in text
        labels = {b["action_id"]: b["text"]["text"] for b in buttons(reply)}
        assert labels == {
            "docsbot_followup_0": "How do I revoke a key?",
            "docsbot_feedback_helpful": "👍 Helpful",
            "docsbot_feedback_not_helpful": "👎 Not helpful",
        }
        assert len(fake_gitbook.ask_requests) == 1

        repeat = mention("how do I rotate an api key")
        await bot.event(repeat)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) == 2)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.update")) >= 5)
        cached = fake_slack.calls_to("chat.update")[-1].args
        assert "Cached answer" in visible_text(cached)
        assert any(b["action_id"] == "docsbot_refresh" for b in buttons(cached))
        assert len(fake_gitbook.ask_requests) == 1  # no Ask for the cached answer

        await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 2)
    assert fake_gitbook.schema_errors == []
    for recorded in fake_gitbook.insight_events:
        validate_request_body(
            "/orgs/{organizationId}/sites/{siteId}/insights/events", "post", {"events": [recorded]}
        )
        assert recorded["type"] == "ask_question"
        for raw_id in ("U0ASKER7", "T0TEAM42", "C0CHAN9"):
            assert raw_id not in json.dumps(recorded)
    assert [e["query"] for e in fake_gitbook.insight_events] == [
        QUESTION,
        "how do I rotate an api key",
    ]


def placeholder_ts(slack: FakeSlack) -> str:
    return str(slack.calls_to("chat.update")[-1].args["ts"])
