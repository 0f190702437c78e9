"""What an answer may put in front of the asker, end to end (issue 14): links and length.

Only http(s) and mailto links, each showing where it goes; at most five messages, the last
saying where to read the rest.
"""

from __future__ import annotations

from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source, record_source
from tests.fakes.slack_api import FakeSlack, visible_text

_GENEROUS = 30.0  # seconds: a deadline on the test, not a timing


def _site(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("spc_1", "https://docs.example.com/")
    gitbook.add_page("spc_1", "pg_9", "API keys", "security/api-keys")


async def _final_thread(slack: FakeSlack, event: dict[str, str]) -> list[str]:
    """The visible texts of the bot's reply messages once the answer is final."""

    def texts() -> list[str]:
        return [visible_text(m) for m in slack.thread(event["channel"], event["ts"])]

    def final() -> bool:
        return any("Sources" in t or "Related pages" in t for t in texts())

    await slack.wait_until(final, timeout=_GENEROUS)
    return texts()


def _paragraphs(size: int) -> str:
    paragraph = "lorem ipsum dolor sit amet " * 8
    return "\n\n".join(f"Paragraph {i:06d}: {paragraph}" for i in range(size // 240 + 1))


def _table(rows: int) -> str:
    lines = ["| Key | Value |", "|---|---|", *(f"| key_{i} | {i} |" for i in range(rows))]
    return "Every key:\n\n" + "\n".join(lines)


async def _ask_with_answer(slack: FakeSlack, gitbook: FakeGitBook, markdown: str) -> list[str]:
    _site(gitbook)
    source = page_source("pg_9", space="spc_1", revision="rev_3")
    gitbook.script_ask([Snapshot(markdown, sources=[source]), DoneEvent()])
    async with running_bot(slack, gitbook, STREAM_MODE="edit") as bot:
        event = mention("tell me everything")
        await bot.event(event)
        return await _final_thread(slack, event)


async def test_a_3_mb_answer_is_five_messages_ending_with_a_link_to_read_the_rest(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    texts = await _ask_with_answer(fake_slack, fake_gitbook, _paragraphs(3_000_000))
    assert len(texts) == 5
    assert "read the rest on [API keys](https://docs.example.com/security/api-keys)" in texts[-1]


async def test_a_10000_row_table_is_at_most_five_messages(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    texts = await _ask_with_answer(fake_slack, fake_gitbook, _table(10_000))
    assert len(texts) <= 5
    assert "read the rest on [API keys]" in texts[-1]


async def test_links_in_an_answer_are_only_http_and_show_their_real_target(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _site(fake_gitbook)
    markdown = (
        "See [https://docs.example.com/x](https://evil.example/x), "
        "<https://evil.example/y|https://docs.example.com/y>, "
        "[click me](javascript:alert(1)) and [open](data:text/html,hi). "
        "Real: [API keys](/spaces/spc_1/pages/pg_9)."
    )
    sources = [
        page_source("pg_9", space="spc_1", revision="rev_3"),
        record_source("Evil record", "javascript:alert(document.cookie)"),
    ]
    fake_gitbook.script_ask([Snapshot(markdown, sources=sources), DoneEvent()])
    async with running_bot(fake_slack, fake_gitbook) as bot:
        event = mention("where do these links go?")
        await bot.event(event)
        text = "\n".join(await _final_thread(fake_slack, event))
    assert "javascript:" not in text and "data:text" not in text
    assert "[https://evil.example/x](https://evil.example/x)" in text
    assert "[https://evil.example/y](https://evil.example/y)" in text
    assert "https://docs.example.com/x" not in text and "https://docs.example.com/y" not in text
    assert "click me" in text and "open" in text
    assert "[API keys](https://docs.example.com/security/api-keys)" in text
    assert "Evil record" not in text
