"""Each Slack surface end to end: DM, slash command with Share, buttons, bad input.

Replies in threads behave the same whether they stream natively or by edits: those tests
run in both modes (the `stream_mode` fixture).
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import RunningBot, direct_message, mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source
from tests.fakes.slack_api import FakeSlack, buttons, visible_text


def _answer(gitbook: FakeGitBook, text: str, question: str | None = None) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    gitbook.script_ask(
        [
            Snapshot(text[: len(text) // 2]),
            Snapshot(text, sources=[page_source()], followups=["What about SSO?"]),
            DoneEvent(),
        ],
        question=question,
    )


def _is_final(message: dict[str, object]) -> bool:
    return "Sources" in visible_text(message) and not message.get("streaming")


async def _final_reply(slack: FakeSlack) -> dict[str, object]:
    await slack.wait_until(lambda: any(_is_final(m) for m in slack.messages.values()))
    return next(m for m in slack.messages.values() if _is_final(m))


@pytest.mark.parametrize(
    ("mode", "method", "threaded"),
    [
        pytest.param("auto", "chat.postMessage", False, id="auto-edits-at-top-level"),
        pytest.param("edit", "chat.postMessage", False, id="edit"),
        pytest.param("native", "chat.startStream", True, id="native-threads-the-question"),
    ],
)
async def test_direct_message_is_answered_in_the_dm(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, mode: str, method: str, threaded: bool
) -> None:
    _answer(fake_gitbook, "Install the CLI with pip and run it.")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=mode) as bot:
        event = direct_message("how do I install it?")
        await bot.event(event)
        reply = await _final_reply(fake_slack)
    post = fake_slack.posts()[0]
    assert post.method == method and post.args["channel"] == event["channel"]
    # A top-level DM gets a top-level answer, unless it must be threaded to stream natively.
    assert post.args.get("thread_ts") == (event["ts"] if threaded else None)
    assert "Install the CLI with pip and run it." in visible_text(reply)
    assert "https://docs.example.com/getting-started" in visible_text(reply)
    assert fake_gitbook.ask_requests[0].question == "how do I install it?"


async def test_dm_in_a_thread_is_answered_in_that_thread(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _answer(fake_gitbook, "Yes, it works on Windows too.")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        await bot.event(direct_message("and on Windows?", thread_ts="1700000000.000001"))
        reply = await _final_reply(fake_slack)
    (post,) = fake_slack.posts()
    assert post.args["thread_ts"] == "1700000000.000001"
    assert post.method == ("chat.startStream" if stream_mode == "native" else "chat.postMessage")
    assert "Yes, it works on Windows too." in visible_text(reply)


async def test_slash_command_answers_privately_and_share_posts_publicly(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook, "Use SAML single sign-on.")
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response, key = await bot.command("how do I set up SSO?")
        assert response.status_code == 200
        assert "Searching the docs" in response.text
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        private = fake_slack.webhooks_to(key)[0].body
        assert private["response_type"] == "ephemeral"
        assert "Use SAML single sign-on." in visible_text(private)
        assert fake_slack.calls_to("chat.postMessage") == []  # nothing public yet
        share = next(b for b in buttons(private) if b["action_id"] == "docsbot_share")

        _, share_key = await bot.click(share, channel="C0CHAN9", message_ts="1.1", ephemeral=True)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(share_key)) == 1)
    public = fake_slack.calls_to("chat.postMessage")[0].args
    assert public["channel"] == "C0CHAN9" and public.get("thread_ts") is None
    assert "Use SAML single sign-on." in visible_text(public)
    assert "<@U0ASKER7>" in visible_text(public)  # credits who asked
    assert fake_slack.webhooks_to(share_key)[0].delete_original
    assert len(fake_gitbook.ask_requests) == 1  # sharing does not ask again
    await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 1)


async def test_followup_button_asks_in_the_same_thread(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _answer(fake_gitbook, "Start with the quick start guide.")
    _answer(fake_gitbook, "SSO is configured under Security.", question="What about SSO?")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        event = mention("where do I start?")
        await bot.event(event)
        reply = await _final_reply(fake_slack)
        (followup,) = [b for b in buttons(reply) if b["action_id"].startswith("docsbot_followup")]
        await bot.click(
            followup, channel="C0CHAN9", message_ts=str(reply["ts"]), thread_ts=event["ts"]
        )
        await fake_slack.wait_until(lambda: len(fake_gitbook.ask_requests) == 2)
        await fake_slack.wait_until(
            lambda: any(
                "SSO is configured" in visible_text(m) for m in fake_slack.messages.values()
            )
        )
    first, second = fake_slack.posts()
    native = stream_mode == "native"
    assert first.method == second.method == ("chat.startStream" if native else "chat.postMessage")
    assert second.args["thread_ts"] == event["ts"]
    if native:
        assert second.args["recipient_user_id"] == "U0ASKER7"  # whoever clicked
    assert fake_gitbook.ask_requests[1].question == "What about SSO?"
    await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 2)


async def test_refresh_asks_again_and_edits_the_same_message(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _answer(fake_gitbook, "Old answer, from last week.")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        await bot.event(mention("what is new?"))
        await _final_reply(fake_slack)
        await bot.event(mention("What is new"))
        await fake_slack.wait_until(
            lambda: any("Cached answer" in visible_text(m) for m in fake_slack.messages.values())
        )
        (channel, ts), cached = next(
            (k, m) for k, m in fake_slack.messages.items() if "Cached answer" in visible_text(m)
        )
        refresh = next(b for b in buttons(cached) if b["action_id"] == "docsbot_refresh")
        fake_gitbook.script_ask([Snapshot("New answer."), DoneEvent()])
        posts_before = len(fake_slack.posts())
        await bot.click(refresh, channel=channel, message_ts=ts, thread_ts=cached.get("thread_ts"))
        await fake_slack.wait_until(
            lambda: "New answer." in visible_text(fake_slack.messages[(channel, ts)])
        )
        assert len(fake_slack.posts()) == posts_before  # edited in place
        assert len(fake_gitbook.ask_requests) == 2
        # The refreshed answer is now what the cache serves.
        await bot.event(mention("what is new"))
        await fake_slack.wait_until(
            lambda: sum("New answer." in visible_text(m) for m in fake_slack.messages.values()) == 2
        )
    assert len(fake_gitbook.ask_requests) == 2


async def _only_reply_text(bot: RunningBot) -> str:
    await bot.slack.wait_until(lambda: len(bot.slack.messages) == 1)
    return visible_text(next(iter(bot.slack.messages.values())))


async def test_bare_mention_gets_usage_help_without_asking(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event({**mention(""), "text": "<@UBOT>"})
        text = await _only_reply_text(bot)
    assert "Ask me a question" in text
    assert fake_gitbook.ask_requests == []


async def test_too_long_question_states_the_limit_without_asking(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        await bot.event(mention("why " * 200))
        text = await _only_reply_text(bot)
    assert "512" in text
    assert fake_gitbook.ask_requests == []


async def test_empty_slash_command_gets_usage_help(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        response, _ = await bot.command("   ")
    assert response.status_code == 200
    assert "/docs" in response.text and "Ask me anything" in response.text
    assert fake_gitbook.ask_requests == []


async def test_dm_thread_shows_a_status_while_answering_then_clears_it(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, stream_mode: str
) -> None:
    _answer(fake_gitbook, "Done, it is all set up.")
    async with running_bot(fake_slack, fake_gitbook, STREAM_MODE=stream_mode) as bot:
        await bot.event(direct_message("status?", thread_ts="1700000000.000002"))
        await _final_reply(fake_slack)
    statuses = [c.args for c in fake_slack.calls_to("assistant.threads.setStatus")]
    assert [s["status"] for s in statuses] == ["is searching the docs…", ""]
    assert all(s["thread_ts"] == "1700000000.000002" for s in statuses)
