"""What the asker sees: final answers, their footers and buttons, drafts, ages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot import notices
from bot.models import Answer, Outcome, SourceLink
from bot.slack import blocks as messages
from bot.slack.blocks import SlackMessage, answer_messages, draft, format_age
from tests.fakes.slack_api import block_problem, buttons, visible_text

NOW = 1_700_000_000.0
SOURCES = (
    SourceLink("API keys", "https://docs.example.com/security/api-keys"),
    SourceLink("Getting started", "https://docs.example.com/getting-started"),
)


def answer(**fields: Any) -> Answer:
    values: dict[str, Any] = {
        "question": "How do I rotate an API key?",
        "outcome": Outcome.ANSWERED,
        "markdown": "Open **Settings → API keys** and click *Rotate*.",
        "answer_id": "ans_1",
    }
    values.update(fields)
    return Answer(**values)


def only(messages_: list[SlackMessage]) -> dict[str, Any]:
    (message,) = messages_
    assert block_problem(message.blocks) is None, block_problem(message.blocks)
    return message.as_kwargs()


def action_ids(message: dict[str, Any]) -> list[str]:
    return [str(b["action_id"]) for b in buttons(message)]


def markdown_texts(message: SlackMessage) -> list[str]:
    return [str(b["text"]) for b in message.blocks if b["type"] == "markdown"]


# --- final answers ------------------------------------------------------------------------------


def test_answer_then_sources_as_links() -> None:
    message = only(answer_messages(answer(sources=SOURCES)))
    text = visible_text(message)
    assert text.index("Open **Settings → API keys**") < text.index("*Sources*")
    assert "<https://docs.example.com/security/api-keys|API keys>" in text
    assert "<https://docs.example.com/getting-started|Getting started>" in text


def test_no_sources_no_sources_block() -> None:
    assert "Sources" not in visible_text(only(answer_messages(answer())))


def test_source_titles_cannot_break_the_link_or_ping_anyone() -> None:
    source = SourceLink("Keys | <!channel> & more", "https://docs.example.com/a b")
    text = visible_text(only(answer_messages(answer(sources=(source,)))))
    assert "<!channel>" not in text
    assert "<https://docs.example.com/a%20b|" in text


@pytest.mark.parametrize(
    "followups",
    [
        pytest.param(("What about SSO?",), id="one"),
        pytest.param(tuple(f"Follow-up question {i}?" for i in range(5)), id="five"),
        pytest.param(("x" * 200, "y" * 76, "z" * 75), id="long-labels"),
        pytest.param(("Who gets notified with @here? " + "w" * 45,), id="broadcast-at-75"),
        pytest.param(("<!channel> what does " + "v" * 60,), id="channel-tag"),
    ],
)
def test_followup_buttons_are_at_most_three_with_short_labels(followups: tuple[str, ...]) -> None:
    message = only(answer_messages(answer(followups=followups)))
    followup_buttons = [
        b for b in buttons(message) if str(b["action_id"]).startswith(messages.FOLLOWUP_ACTION)
    ]
    assert len(followup_buttons) == min(3, len(followups))
    for button, question in zip(followup_buttons, followups, strict=False):
        label = str(button["text"]["text"])
        assert 1 <= len(label) <= 75, label
        assert "<!" not in label and "@here" not in label
        assert button["value"] == question  # the click asks the whole question


@pytest.mark.parametrize(
    ("private", "cached_at", "expected"),
    [
        pytest.param(False, None, set(), id="public-fresh"),
        pytest.param(True, None, {messages.SHARE_ACTION}, id="private-fresh"),
        pytest.param(False, NOW - 300, {messages.REFRESH_ACTION}, id="public-cached"),
        pytest.param(
            True, NOW - 300, {messages.SHARE_ACTION, messages.REFRESH_ACTION}, id="private-cached"
        ),
    ],
)
def test_share_only_when_private_and_refresh_only_when_cached(
    private: bool, cached_at: float | None, expected: set[str]
) -> None:
    message = only(answer_messages(answer(cached_at=cached_at), private=private, now=NOW))
    controls = {messages.SHARE_ACTION, messages.REFRESH_ACTION}
    assert set(action_ids(message)) & controls == expected
    for button in buttons(message):
        if button["action_id"] in controls:
            assert button["value"] == "ans_1"  # acts on this answer later
    labelled = "Cached answer from 5 minutes ago" in visible_text(message)
    assert labelled is (cached_at is not None)


def test_a_private_answer_for_a_thread_shares_in_that_thread() -> None:
    message = only(answer_messages(answer(), private=True, share_thread="1700000000.000100"))
    ids = action_ids(message)
    assert messages.SHARE_IN_THREAD_ACTION in ids and messages.SHARE_ACTION not in ids
    (share,) = [b for b in buttons(message) if b["action_id"] == messages.SHARE_IN_THREAD_ACTION]
    assert share["text"]["text"] == "Share in thread"
    assert messages.share_in_thread_value(share["value"]) == ("ans_1", "1700000000.000100")
    assert block_problem(message["blocks"]) is None


@pytest.mark.parametrize("value", ["", "ans_1", ":1700000000.000100", "ans_1:"])
def test_a_malformed_share_in_thread_value_is_refused(value: str) -> None:
    assert messages.share_in_thread_value(value) is None


def test_asked_by_credits_the_asker() -> None:
    message = only(answer_messages(answer(), asked_by="U0ASKER7"))
    assert "Asked by <@U0ASKER7>: How do I rotate an API key?" in visible_text(message)


def _long_answer(size: int) -> str:
    paragraphs: list[str] = []
    index = 0
    while sum(len(p) + 2 for p in paragraphs) < size:
        paragraphs.append(f"Paragraph {index:04d}: " + "lorem ipsum dolor sit amet " * 8)
        index += 1
    return "\n\n".join(paragraphs)


def test_long_answer_is_split_across_messages_never_truncated() -> None:
    markdown = _long_answer(30_000)
    assert len(markdown) >= 30_000
    split = answer_messages(answer(markdown=markdown, sources=SOURCES, followups=("More?",)))
    assert len(split) >= 3
    for message in split:
        assert block_problem(message.blocks) is None, block_problem(message.blocks)
        assert sum(len(t) for t in markdown_texts(message)) <= 12_000
        assert 1 <= len(message.text) <= 4_000
    shown = "\n".join(t for m in split for t in markdown_texts(m))
    for number in range(markdown.count("Paragraph ")):
        assert f"Paragraph {number:04d}:" in shown
    assert re.sub(r"\s+", " ", shown).strip() == re.sub(r"\s+", " ", markdown).strip()
    # Sources and buttons come once, under the last piece.
    assert ["Sources" in visible_text(m.as_kwargs()) for m in split] == [False] * (
        len(split) - 1
    ) + [True]
    assert all(buttons(m.as_kwargs()) == [] for m in split[:-1])


def test_long_code_block_is_closed_and_reopened_across_messages() -> None:
    code = "\n".join(f"line {i}: echo {'x' * 60}" for i in range(400))
    split = answer_messages(answer(markdown=f"Run this:\n\n```bash\n{code}\n```\n\nDone."))
    assert len(split) >= 2
    for message in split:
        for text in markdown_texts(message):
            assert text.count("```") % 2 == 0, text[:80]


@pytest.mark.parametrize(
    ("search_url", "expected"),
    [
        pytest.param(
            "https://docs.example.com/?q=rotate%20keys",
            "[search the docs](https://docs.example.com/?q=rotate%20keys)",
            id="with-search-link",
        ),
        pytest.param(None, "couldn't find an answer", id="without-site-url"),
    ],
)
def test_no_answer_says_so_with_a_search_link(search_url: str | None, expected: str) -> None:
    message = only(
        answer_messages(answer(outcome=Outcome.NO_ANSWER, markdown="", search_url=search_url))
    )
    text = visible_text(message)
    assert "couldn't find an answer" in text
    assert expected in text
    assert message["text"]  # the notification is not empty


def test_no_answer_lists_related_pages() -> None:
    message = only(answer_messages(answer(outcome=Outcome.NO_ANSWER, markdown="", sources=SOURCES)))
    text = visible_text(message)
    assert "Related pages" in text and "https://docs.example.com/getting-started" in text


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param("To rotate a key, open", id="partial-answer"),
        pytest.param("", id="nothing-shown"),
    ],
)
def test_failed_answer_shows_what_was_written_and_the_notice(markdown: str) -> None:
    notice = "The connection to the docs assistant was lost before the answer finished."
    message = only(
        answer_messages(answer(outcome=Outcome.FAILED, markdown=markdown, notice=notice))
    )
    text = visible_text(message)
    assert notice in text
    if markdown:
        assert text.index(markdown) < text.index(notice)
    assert message["text"]


# --- ages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(-30, "just now", id="clock-skew"),
        pytest.param(0, "just now", id="zero"),
        pytest.param(59.9, "just now", id="under-a-minute"),
        pytest.param(60, "1 minute ago", id="one-minute"),
        pytest.param(119, "1 minute ago", id="under-two-minutes"),
        pytest.param(120, "2 minutes ago", id="two-minutes"),
        pytest.param(59 * 60 + 59, "59 minutes ago", id="under-an-hour"),
        pytest.param(3600, "1 hour ago", id="one-hour"),
        pytest.param(2 * 3600 + 59 * 60, "2 hours ago", id="two-hours"),
        pytest.param(47 * 3600, "47 hours ago", id="47-hours"),
        pytest.param(48 * 3600, "2 days ago", id="two-days"),
        pytest.param(10 * 86400, "10 days ago", id="ten-days"),
    ],
)
def test_format_age(seconds: float, expected: str) -> None:
    assert format_age(seconds) == expected


# --- drafts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "shown"),
    [
        pytest.param(
            "To rotate a key, open **Settings", "To rotate a key, open **Settings**", id="bold"
        ),
        pytest.param("Run `pip inst", "Run `pip inst`", id="code-span"),
        pytest.param("See [API keys](/spaces/sp", "See API keys", id="link-target"),
        pytest.param("See [API ke", "See API ke", id="link-text"),
        pytest.param("Steps:\n\n```bash\npip install", "```bash\npip install\n```", id="fence"),
    ],
)
def test_draft_of_a_cut_snapshot_shows_healed_markup(snapshot: str, shown: str) -> None:
    message = draft(snapshot)
    assert block_problem(message.blocks) is None
    (text,) = markdown_texts(message)
    assert text.endswith(shown), text
    assert "Writing" in visible_text(message.as_kwargs())


def test_draft_of_a_long_answer_fits_one_message() -> None:
    message = draft(_long_answer(30_000))
    assert block_problem(message.blocks) is None
    (text,) = markdown_texts(message)
    assert len(text) <= 12_000 and len(message.text) <= 4_000
    assert text.startswith("Paragraph 0000:") and text.endswith("…")


def test_draft_never_pings() -> None:
    (text,) = markdown_texts(draft("Tell <!here> and <@U0BOSS1> about it"))
    assert "<!here>" not in text and "<@U0BOSS1>" not in text


def test_a_native_stream_ends_with_the_same_body_and_footer_as_the_edit_path() -> None:
    final = answer(sources=(SourceLink("API keys", "https://docs.example.com/keys"),))
    ended = messages.streamed_final(final)
    (whole,) = answer_messages(final)
    assert [{"type": "markdown", "text": ended.body}, *ended.blocks] == whole.blocks
    assert ended.rest == []
    assert block_problem(ended.blocks) is None
    assert "docsbot_feedback_helpful" in action_ids({"blocks": ended.blocks})


def test_a_long_answer_streams_its_first_message_and_posts_the_rest_with_the_footer() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 300 for i in range(12)]  # about 18,000 chars
    final = answer(markdown="\n\n".join(paragraphs))
    ended = messages.streamed_final(final)
    assert ended.blocks == []  # sources and buttons go under the last message
    assert ended.body.startswith("Paragraph 0:") and len(ended.body) <= 10_000
    assert ended.rest == answer_messages(final)[1:]
    assert "docsbot_feedback_helpful" in action_ids(ended.rest[-1].as_kwargs())


def test_a_stream_cut_short_ends_with_a_notice() -> None:
    (block,) = messages.stopped_notice(restarting=True)
    assert "restarted" in visible_text({"blocks": [block]})


# --- issue 14: at most five messages, ending with where to read the rest -----------------------


def _huge(size: int) -> str:
    """Numbered paragraphs, about size characters (in linear time, unlike _long_answer)."""
    paragraph = "lorem ipsum dolor sit amet " * 8
    count = size // (len(paragraph) + 18) + 1
    return "\n\n".join(f"Paragraph {i:06d}: {paragraph}" for i in range(count))


def _table(rows: int) -> str:
    lines = ["| Key | Value | Notes |", "|---|---|---|"]
    lines += [f"| key_{i} | {i * 7} | row {i} of the table |" for i in range(rows)]
    return "Here is every key:\n\n" + "\n".join(lines) + "\n\nThat is all."


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param(_huge(3_000_000), id="3mb-answer"),
        pytest.param(_table(10_000), id="10000-row-table"),
        pytest.param(_huge(60_000), id="just-over-five-messages"),
        pytest.param("```\n" + "x = 1\n" * 200_000 + "```", id="huge-code-block"),
    ],
)
def test_a_huge_answer_is_five_messages_ending_with_a_link_to_the_top_source(
    markdown: str,
) -> None:
    split = answer_messages(answer(markdown=markdown, sources=SOURCES, followups=("More?",)))
    assert len(split) == messages.MAX_ANSWER_MESSAGES
    for message in split:
        assert block_problem(message.blocks) is None, block_problem(message.blocks)
        assert sum(len(t) for t in markdown_texts(message)) <= 12_000
        assert 1 <= len(message.text) <= 4_000
    last = markdown_texts(split[-1])[-1]
    assert last.endswith("read the rest on [API keys](https://docs.example.com/security/api-keys).")
    assert last.count("```") % 2 == 0  # a cut code block is closed before the link
    assert "Sources" in visible_text(split[-1].as_kwargs())
    assert all(buttons(m.as_kwargs()) == [] for m in split[:-1])


def test_a_huge_answer_without_sources_still_says_it_goes_on() -> None:
    split = answer_messages(answer(markdown=_huge(200_000)))
    assert len(split) == messages.MAX_ANSWER_MESSAGES
    assert markdown_texts(split[-1])[-1].endswith(notices.TOO_LONG)


def test_a_source_with_a_javascript_url_is_never_a_link() -> None:
    bad = SourceLink("https://docs.example.com/keys", "javascript:alert(1)")
    split = answer_messages(answer(markdown=_huge(200_000), sources=(bad,)))
    text = visible_text(split[-1].as_kwargs())
    assert "javascript:" not in text
    assert markdown_texts(split[-1])[-1].endswith(notices.TOO_LONG)


def test_a_huge_native_stream_posts_at_most_four_more_messages() -> None:
    ended = messages.streamed_final(answer(markdown=_huge(3_000_000), sources=SOURCES))
    assert len(ended.rest) == messages.MAX_ANSWER_MESSAGES - 1
    assert "read the rest on" in visible_text(ended.rest[-1].as_kwargs())


def test_draft_of_a_huge_answer_is_one_message_saying_more_follows() -> None:
    message = draft(_huge(3_000_000))
    assert block_problem(message.blocks) is None
    (text,) = markdown_texts(message)
    assert len(text) <= 12_000 and text.endswith("…")


@pytest.mark.parametrize(
    ("offer_people", "outcome", "shown"),
    [
        pytest.param(True, Outcome.ANSWERED, True, id="answered"),
        pytest.param(True, Outcome.NO_ANSWER, True, id="no-answer"),
        pytest.param(True, Outcome.FAILED, False, id="failed"),
        pytest.param(False, Outcome.ANSWERED, False, id="escalation-off"),
    ],
)
def test_ask_a_person_is_offered_on_answers_when_escalation_is_on(
    offer_people: bool, outcome: Outcome, shown: bool
) -> None:
    final = answer(
        offer_people=offer_people,
        outcome=outcome,
        notice="x" if outcome is Outcome.FAILED else None,
    )
    for private in (False, True):
        message = answer_messages(final, private=private)[-1].as_kwargs()
        assert block_problem(message["blocks"]) is None
        assert ("docsbot_escalate" in action_ids(message)) is shown
