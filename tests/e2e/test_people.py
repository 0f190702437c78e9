"""Closing the loop with people, end to end: Ask a person (escalation) and 👎 → modal → GitBook.

The real app over HTTP against the Slack and GitBook fakes: the escalation message and its
Resolved button, the asker's notes, and a 👎's reason becoming a comment on the answer's first
page source (validated against GitBook's PostCommentSchema by the fake).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.harness import TEAM, RunningBot, direct_message, mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source, record_source
from tests.fakes.openapi import validate_request_body
from tests.fakes.slack_api import FakeSlack, buttons, visible_text

ASKER = "U0ASKER7"
QUESTION = "how do I rotate an API key?"
ANSWER = "Open **Settings → API keys** and click Rotate.\n\nThe old key stops working at once."
REASON = "It doesn't say what happens to running jobs.\nAlso the screenshot is old."


def _docs(gitbook: FakeGitBook, *, sources: list[dict[str, Any]] | None = None) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "API keys", "security/api-keys")
    gitbook.add_page("space_1", "page_2", "Jobs", "jobs")
    chosen = sources if sources is not None else [page_source("page_1"), page_source("page_2")]
    gitbook.script_ask([Snapshot(ANSWER, sources=chosen), DoneEvent()], question=QUESTION)


async def _answer_in_thread(bot: RunningBot) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask by mention; return the mention event and the bot's final reply (with its buttons)."""
    event = mention(QUESTION)
    await bot.event(event)

    def final() -> dict[str, Any] | None:
        return next(
            (
                m
                for m in bot.slack.messages.values()
                if "Rotate" in visible_text(m) and buttons(m) and not m.get("streaming")
            ),
            None,
        )

    await bot.slack.wait_until(lambda: final() is not None)
    reply = final()
    assert reply is not None
    return event, reply


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(b for b in buttons(message) if b["action_id"] == action_id)


async def _feedback(bot: RunningBot, value: str) -> dict[str, Any] | None:
    raw = await bot.service.deps.store.get(f"docsbot:feedback:{value}:{ASKER}")
    return json.loads(raw) if raw else None


async def _thumbs_down(
    bot: RunningBot, event: dict[str, Any], reply: dict[str, Any]
) -> tuple[dict[str, Any], str, str]:
    """Click 👎 on reply; return the modal opened, the click's trigger and its response key."""
    thumbs_down = _button(reply, "docsbot_feedback_not_helpful")
    _, key = await bot.click(
        thumbs_down, channel=reply["channel"], message_ts=reply["ts"], thread_ts=event["ts"]
    )
    await bot.slack.wait_until(lambda: len(bot.slack.opened_views) == 1)
    (call,) = bot.slack.calls_to("views.open")
    return bot.slack.opened_views[0], str(call.args["trigger_id"]), key


# --- 👎 → modal → GitBook comment -----------------------------------------------------------------


async def test_thumbs_down_reason_becomes_a_comment_on_the_top_page_source(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, GITBOOK_FEEDBACK_COMMENTS="true") as bot:
        event, reply = await _answer_in_thread(bot)
        value = _button(reply, "docsbot_feedback_not_helpful")["value"]
        view, trigger, key = await _thumbs_down(bot, event, reply)
        # Recorded at the click, before any reason: closing the modal loses nothing.
        recorded = await _feedback(bot, value)
        assert recorded is not None and recorded["helpful"] is False and "reason" not in recorded
        assert trigger.endswith(".trigger")  # the click's own trigger_id, taken once
        assert view["callback_id"] == "docsbot_feedback_reason"
        assert "GitBook" in visible_text(view)  # the modal says where the note goes

        response = await bot.submit(view, {"reason": REASON})
        assert response.status_code == 200 and response.text == ""  # the modal closes
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.comments) == 1)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        recorded = await _feedback(bot, value)
    (comment,) = fake_gitbook.comments
    assert fake_gitbook.schema_errors == []
    validate_request_body("/spaces/{spaceId}/comments", "post", comment.body)
    assert comment.space == "space_1" and comment.body["page"] == "page_1"  # the top source
    permalink = (
        f"https://test.slack.com/archives/{reply['channel']}/p{reply['ts'].replace('.', '')}"
        f"?thread_ts={event['ts']}&cid={reply['channel']}"
    )
    assert QUESTION in comment.text
    assert "It doesn't say what happens to running jobs." in comment.text
    assert "Also the screenshot is old." in comment.text
    assert permalink in comment.text
    assert ASKER not in json.dumps(comment.body) and TEAM not in json.dumps(comment.body)
    assert recorded is not None and recorded["reason"] == REASON.strip()
    assert "comment on the docs page" in fake_slack.webhooks_to(key)[0].body["text"]


@pytest.mark.parametrize(
    ("env", "sources"),
    [
        pytest.param({}, None, id="setting-off"),
        pytest.param(
            {"GITBOOK_FEEDBACK_COMMENTS": "true"},
            [record_source("Changelog", "https://example.com/changelog")],
            id="no-page-source",
        ),
    ],
)
async def test_without_the_setting_or_a_page_source_the_reason_stays_with_the_thumbs_down(
    fake_slack: FakeSlack,
    fake_gitbook: FakeGitBook,
    env: dict[str, str],
    sources: list[dict[str, Any]] | None,
) -> None:
    _docs(fake_gitbook, sources=sources)
    async with running_bot(fake_slack, fake_gitbook, **env) as bot:
        event, reply = await _answer_in_thread(bot)
        value = _button(reply, "docsbot_feedback_not_helpful")["value"]
        view, _, key = await _thumbs_down(bot, event, reply)
        assert "GitBook" not in visible_text(view)
        await bot.submit(view, {"reason": REASON})
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        recorded = await _feedback(bot, value)
    assert recorded is not None and recorded["reason"] == REASON.strip()
    assert fake_gitbook.comments == [] and fake_gitbook.schema_errors == []
    assert not [c for c in fake_gitbook.calls if c[1].endswith("/comments")]
    assert "Your note is recorded" in fake_slack.webhooks_to(key)[0].body["text"]


async def test_gitbook_refusing_the_comment_tells_the_person_and_keeps_the_reason(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, caplog: pytest.LogCaptureFixture
) -> None:
    _docs(fake_gitbook)
    fake_gitbook.fail_comments(403)  # the token has no write access to the space
    async with running_bot(fake_slack, fake_gitbook, GITBOOK_FEEDBACK_COMMENTS="true") as bot:
        event, reply = await _answer_in_thread(bot)
        value = _button(reply, "docsbot_feedback_not_helpful")["value"]
        view, _, key = await _thumbs_down(bot, event, reply)
        await bot.submit(view, {"reason": REASON})
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        recorded = await _feedback(bot, value)
    note = fake_slack.webhooks_to(key)[0].body
    assert note["response_type"] == "ephemeral"  # only the person sees it
    assert "no write access" in note["text"] and "recorded" in note["text"]
    assert recorded is not None and recorded["reason"] == REASON.strip()
    assert fake_gitbook.comments == []
    refused = [r for r in caplog.records if "feedback comment refused" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None  # one line, no traceback


async def test_an_empty_modal_keeps_the_thumbs_down_alone(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, GITBOOK_FEEDBACK_COMMENTS="true") as bot:
        event, reply = await _answer_in_thread(bot)
        value = _button(reply, "docsbot_feedback_not_helpful")["value"]
        view, _, key = await _thumbs_down(bot, event, reply)
        response = await bot.submit(view, {})
        assert response.status_code == 200
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        recorded = await _feedback(bot, value)
    assert "Thanks for the feedback" in fake_slack.webhooks_to(key)[0].body["text"]
    assert recorded is not None and recorded["helpful"] is False and "reason" not in recorded
    assert fake_gitbook.comments == []


async def test_a_private_answer_comment_links_the_channel_it_was_asked_in(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, GITBOOK_FEEDBACK_COMMENTS="true") as bot:
        _, key = await bot.command(QUESTION)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        private = fake_slack.webhooks_to(key)[0].body
        thumbs_down = _button(private, "docsbot_feedback_not_helpful")
        _, click_key = await bot.click(
            thumbs_down, channel="C0CHAN9", message_ts="1700000000.000900", ephemeral=True
        )
        await fake_slack.wait_until(lambda: len(fake_slack.opened_views) == 1)
        await bot.submit(fake_slack.opened_views[0], {"reason": "Out of date."})
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.comments) == 1)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(click_key)) == 1)
    (comment,) = fake_gitbook.comments
    assert "https://test.slack.com/archives/C0CHAN9" in comment.text
    assert "answered privately" in comment.text
    assert fake_slack.calls_to("chat.getPermalink") == []  # an ephemeral has no permalink
    assert fake_gitbook.schema_errors == []


# --- Ask a person (escalation) --------------------------------------------------------------------

PEOPLE = "C0PEOPLE1"
HELPER = "U0HELPER3"


def _escalations(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages.values() if m["channel"] == PEOPLE]


async def _ask_person(
    bot: RunningBot, event: dict[str, Any], reply: dict[str, Any], *, user: str = ASKER
) -> str:
    """Click 🙋 Ask a person under reply; return the click's response key."""
    ask = _button(reply, "docsbot_escalate")
    _, key = await bot.click(
        ask, channel=reply["channel"], message_ts=reply["ts"], thread_ts=event["ts"], user=user
    )
    return key


async def test_ask_a_person_posts_the_escalation_and_resolved_closes_the_loop(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, ESCALATION_CHANNEL=PEOPLE) as bot:
        event, reply = await _answer_in_thread(bot)
        assert _button(reply, "docsbot_escalate")["text"]["text"] == "🙋 Ask a person"
        await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 1)
        note = "I've asked people"
        await fake_slack.wait_until(
            lambda: any(note in visible_text(m) for m in fake_slack.thread("C0CHAN9", event["ts"]))
        )
        (escalation,) = _escalations(fake_slack)
        text = visible_text(escalation)
        assert f"<@{ASKER}>" in text and QUESTION in text
        assert "Settings → API keys** and click Rotate." in text
        assert "The old key stops working at once." in text  # the answer's first lines
        permalink = (
            f"https://test.slack.com/archives/C0CHAN9/p{reply['ts'].replace('.', '')}"
            f"?thread_ts={event['ts']}&cid=C0CHAN9"
        )
        assert permalink in text
        resolved = _button(escalation, "docsbot_escalation_resolved")
        assert resolved["text"]["text"] == "✅ Resolved"

        await bot.click(resolved, channel=PEOPLE, message_ts=escalation["ts"], user=HELPER)
        await fake_slack.wait_until(lambda: escalation["edits"] == 1)
        told = "marked your question as resolved"
        await fake_slack.wait_until(
            lambda: any(told in visible_text(m) for m in fake_slack.thread("C0CHAN9", event["ts"]))
        )
    edited = visible_text(escalation)
    assert f"Resolved by <@{HELPER}>" in edited and "<!date^" in edited  # who, and when
    assert QUESTION in edited  # the question stays readable
    assert buttons(escalation) == []  # no second Resolved
    (resolved_note,) = [
        m for m in fake_slack.thread("C0CHAN9", event["ts"]) if told in visible_text(m)
    ]
    assert f"<@{ASKER}>" in visible_text(resolved_note) and f"<@{HELPER}>" in visible_text(
        resolved_note
    )


async def test_a_second_click_says_the_question_is_already_with_people(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, ESCALATION_CHANNEL=PEOPLE) as bot:
        event, reply = await _answer_in_thread(bot)
        await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 1)
        key = await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert "already with people" in fake_slack.webhooks_to(key)[0].body["text"]
    assert len(_escalations(fake_slack)) == 1


async def test_only_the_asker_can_hand_their_answer_to_people(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, ESCALATION_CHANNEL=PEOPLE) as bot:
        event, reply = await _answer_in_thread(bot)
        key = await _ask_person(bot, event, reply, user="U0SOMEONE")
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    assert "Only the person who asked" in fake_slack.webhooks_to(key)[0].body["text"]
    assert _escalations(fake_slack) == []


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_an_unreachable_escalation_channel_tells_the_asker_privately(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook, error: str
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, ESCALATION_CHANNEL=PEOPLE) as bot:
        event, reply = await _answer_in_thread(bot)
        fake_slack.fail_next("chat.postMessage", error)  # the bot is not in the channel
        key = await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        refusal = fake_slack.webhooks_to(key)[0].body
        assert refusal["response_type"] == "ephemeral"
        assert "invite me" in refusal["text"] and "ESCALATION_CHANNEL" in refusal["text"]
        assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")][-1] == PEOPLE
        # Once the bot is invited, the same button works: the failed attempt did not count.
        await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 1)


async def test_no_ask_a_person_button_without_an_escalation_channel(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook) as bot:
        _, reply = await _answer_in_thread(bot)
    assert "docsbot_escalate" not in {b["action_id"] for b in buttons(reply)}


async def test_a_private_answer_is_escalated_without_a_message_link_and_resolved_by_dm(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook, ESCALATION_CHANNEL=PEOPLE) as bot:
        _, key = await bot.command(QUESTION)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        private = fake_slack.webhooks_to(key)[0].body
        ask = _button(private, "docsbot_escalate")
        _, click_key = await bot.click(
            ask, channel="C0CHAN9", message_ts="1700000000.000900", ephemeral=True
        )
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 1)
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(click_key)) == 1)
        (escalation,) = _escalations(fake_slack)
        assert "Asked privately" in visible_text(escalation) and "<#C0CHAN9>" in visible_text(
            escalation
        )
        note = fake_slack.webhooks_to(click_key)[0].body
        assert note["response_type"] == "ephemeral" and "I've asked people" in note["text"]
        assert not [m for m in fake_slack.messages.values() if m["channel"] == "C0CHAN9"]

        resolved = _button(escalation, "docsbot_escalation_resolved")
        await bot.click(resolved, channel=PEOPLE, message_ts=escalation["ts"], user=HELPER)
        await fake_slack.wait_until(
            lambda: any(m["channel"] == ASKER for m in fake_slack.messages.values())
        )
    (dm,) = [m for m in fake_slack.messages.values() if m["channel"] == ASKER]
    assert "marked your question as resolved" in visible_text(dm) and QUESTION in visible_text(dm)


async def test_insights_count_escalations_and_list_the_open_ones(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    other = "where are the audit logs?"
    fake_gitbook.script_ask([Snapshot("In Settings → Audit."), DoneEvent()], question=other)
    env = {"ESCALATION_CHANNEL": PEOPLE, "INSIGHTS_VIEWERS": "U0DOCS1"}
    async with running_bot(fake_slack, fake_gitbook, **env) as bot:
        event, reply = await _answer_in_thread(bot)
        await _ask_person(bot, event, reply)
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 1)
        resolved = _button(_escalations(fake_slack)[0], "docsbot_escalation_resolved")
        await bot.click(
            resolved, channel=PEOPLE, message_ts=_escalations(fake_slack)[0]["ts"], user=HELPER
        )
        await fake_slack.wait_until(lambda: _escalations(fake_slack)[0]["edits"] == 1)

        second = mention(other)
        await bot.event(second)
        await fake_slack.wait_until(
            lambda: any(
                "Audit" in visible_text(m) and buttons(m) for m in fake_slack.messages.values()
            )
        )
        answer = next(
            m for m in fake_slack.messages.values() if "Audit" in visible_text(m) and buttons(m)
        )
        await _ask_person(bot, second, answer)
        await fake_slack.wait_until(lambda: len(_escalations(fake_slack)) == 2)
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 2)

        response, key = await bot.command("insights", user="U0DOCS1")
        assert response.status_code == 200
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
    report = visible_text(fake_slack.webhooks_to(key)[0].body)
    assert "Escalated to people" in report
    assert "2 questions handed to people · 1 still open" in report
    assert f"• {other}" in report  # the open one is listed…
    assert f"• {QUESTION}" not in report  # …the resolved one is not
    assert "|open>" in report  # linked to its escalation message


async def test_a_natively_streamed_dm_answer_offers_a_person_too(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    env = {"ESCALATION_CHANNEL": PEOPLE, "STREAM_MODE": "native"}
    async with running_bot(fake_slack, fake_gitbook, **env) as bot:
        event = direct_message(QUESTION, thread_ts="1700000000.000001")
        await bot.event(event)
        await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.stopStream")))
    (stop,) = fake_slack.calls_to("chat.stopStream")
    assert "docsbot_escalate" in {b["action_id"] for b in buttons(stop.args)}


async def test_a_refused_modal_still_thanks_for_the_thumbs_down(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _docs(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event, reply = await _answer_in_thread(bot)
        thumbs_down = _button(reply, "docsbot_feedback_not_helpful")
        fake_slack.fail_next("views.open", "expired_trigger_id")
        _, key = await bot.click(
            thumbs_down, channel=reply["channel"], message_ts=reply["ts"], thread_ts=event["ts"]
        )
        await fake_slack.wait_until(lambda: len(fake_slack.webhooks_to(key)) == 1)
        recorded = await _feedback(bot, thumbs_down["value"])
    assert "Thanks for the feedback" in fake_slack.webhooks_to(key)[0].body["text"]
    assert recorded is not None and recorded["helpful"] is False
    assert fake_slack.opened_views == []
