"""A mention, end to end: signed HTTP in, a growing reply (native stream or edits), cache."""

from __future__ import annotations

import asyncio
import json

from tests.e2e.harness import TEAM, mention, running_bot
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


def _gated_answer(gitbook: FakeGitBook, final: str) -> list[asyncio.Event]:
    """Script three snapshots, each held until the test sets its gate; return the gates."""
    _site(gitbook)
    gates = [asyncio.Event() for _ in range(3)]
    gitbook.script_ask(
        [
            Snapshot("To rotate"),
            WaitFor(gates[0]),
            Snapshot("To rotate a key, open **Settings"),
            WaitFor(gates[1]),
            Snapshot(
                final,
                sources=[page_source("pg_9", space="spc_1", revision="rev_3")],
                followups=["How do I revoke a key?"],
            ),
            WaitFor(gates[2]),
            DoneEvent(),
        ]
    )
    return gates


async def test_mention_streams_by_edits_into_one_reply_then_serves_the_repeat_from_cache(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, redis_url: str, redis_key_prefix: str
) -> None:
    gates = _gated_answer(fake_gitbook, FINAL)
    async with running_bot(
        fake_slack,
        fake_gitbook,
        redis_url=redis_url,
        key_prefix=redis_key_prefix,
        STREAM_MODE="edit",
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


NATIVE_FINAL = (
    "To rotate a key, open **Settings → API keys** and click *Rotate*. "
    "See [keys](/spaces/spc_1/pages/pg_9)."
)


async def test_mention_streams_natively_then_stops_with_sources_and_buttons(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    gates = _gated_answer(fake_gitbook, NATIVE_FINAL)
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = mention(QUESTION)
        await bot.event(event)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.startStream")) == 1)
        start = fake_slack.calls_to("chat.startStream")[0].args
        assert start["thread_ts"] == event["ts"]
        assert (start["recipient_user_id"], start["recipient_team_id"]) == (event["user"], TEAM)
        # Only stable text is streamed: never half a word (it may still grow).
        assert start["markdown_text"] == "To "
        for count, gate in enumerate(gates[:2], start=1):
            gate.set()
            await fake_slack.wait_until(
                lambda c=count: len(fake_slack.calls_to("chat.appendStream")) >= c
            )
        appended = [c.args["markdown_text"] for c in fake_slack.calls_to("chat.appendStream")]
        # "**Settings" was held back while its emphasis was open; the unresolved link too.
        assert appended == [
            "rotate a key, open ",
            "**Settings → API keys** and click *Rotate*. See ",
        ]
        gates[2].set()
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.stopStream")) == 1)
        stop = fake_slack.calls_to("chat.stopStream")[0].args
        reply = fake_slack.messages[(event["channel"], stop["ts"])]
        assert not reply["streaming"]
        assert reply["markdown_text"] == (
            "To rotate a key, open **Settings → API keys** and click *Rotate*. "
            "See [keys](https://docs.example.com/security/api-keys)."
        )
        assert "Sources" in visible_text(reply) and "API keys" in visible_text(reply)
        labels = {b["action_id"]: b["text"]["text"] for b in buttons(stop)}
        assert labels == {
            "docsbot_followup_0": "How do I revoke a key?",
            "docsbot_feedback_helpful": "👍 Helpful",
            "docsbot_feedback_not_helpful": "👎 Not helpful",
        }
        methods = [c.method for c in fake_slack.calls if c.method.startswith("chat.")]
        assert methods == [
            "chat.startStream",
            "chat.appendStream",
            "chat.appendStream",
            "chat.stopStream",
        ]

        repeat = mention("how do I rotate an api key")
        await bot.event(repeat)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) == 1)
        cached = fake_slack.calls_to("chat.postMessage")[0].args
        assert cached["thread_ts"] == repeat["ts"]
        assert "Cached answer" in visible_text(cached)  # complete already: posted, not streamed
        assert any(b["action_id"] == "docsbot_refresh" for b in buttons(cached))
    assert len(fake_gitbook.ask_requests) == 1
    assert len(fake_slack.calls_to("chat.startStream")) == 1
    assert fake_slack.refusals == []


async def test_rewritten_answer_stops_the_stream_and_is_corrected_by_an_edit(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    rewrite = asyncio.Event()
    final = "Rotate keys under **Security**, then update your clients."
    fake_gitbook.script_ask(
        [
            Snapshot("Rotate the key in Settings and"),
            WaitFor(rewrite),
            Snapshot(final),  # GitBook rewrote the start of its answer
            DoneEvent(),
        ]
    )
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE="native") as bot:
        event = mention(QUESTION)
        await bot.event(event)
        await fake_slack.wait_until(lambda: len(fake_slack.calls_to("chat.startStream")) == 1)
        rewrite.set()
        await fake_slack.wait_until(
            lambda: any(final in visible_text(m) for m in fake_slack.messages.values())
        )
    (start,) = fake_slack.calls_to("chat.startStream")
    assert start.args["markdown_text"] == "Rotate the key in Settings "
    (stop,) = fake_slack.calls_to("chat.stopStream")
    assert not stop.args.get("markdown_text")  # stopped as it was: nothing appended to stale text
    # Then the same message is corrected: nothing of the stale start is left.
    (reply,) = fake_slack.thread(event["channel"], event["ts"])
    assert reply["ts"] == stop.args["ts"]
    assert "Rotate the key in Settings" not in visible_text(reply)
    assert final in visible_text(reply)
    assert any(c.args["ts"] == reply["ts"] for c in fake_slack.calls_to("chat.update"))
    assert fake_slack.calls_to("chat.appendStream") == []
    assert fake_slack.refusals == []
