"""The Ask client against a fake GitBook speaking SSE: snapshots, endings and failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.errors import (
    AskFormatError,
    AskStreamError,
    GitBookConnectionError,
    GitBookHTTPError,
    GitBookTimeout,
)
from bot.gitbook.client import GitBookClient, make_http_client
from bot.gitbook.comments import Line, comment_body
from bot.gitbook.wire import VisitorSession
from bot.models import AnswerSnapshot, PageRef, PageSource, RecordSource
from bot.settings import GitBookSettings
from tests.fakes.gitbook import (
    Close,
    Cut,
    DoneData,
    DoneEvent,
    Drip,
    ErrorEvent,
    FakeGitBook,
    Hang,
    HttpError,
    KeepAlive,
    Raw,
    Snapshot,
    page_source,
    record_source,
)


@pytest.fixture
async def client(fake_gitbook: FakeGitBook) -> AsyncIterator[GitBookClient]:
    settings = GitBookSettings(
        api_token="gb-token",  # type: ignore[arg-type]
        organization_id="org_1",
        site_id="site_1",
        api_url=fake_gitbook.url,
        timeout_seconds=0.5,
    )
    async with make_http_client(settings) as http:
        yield GitBookClient(http, settings)


async def _collect(client: GitBookClient, question: str = "q?") -> list[AnswerSnapshot]:
    return [snapshot async for snapshot in client.ask(question)]


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param(DoneEvent(), id="event-done"),
        pytest.param(DoneData(), id="data-done"),
        pytest.param(Close(), id="clean-close"),
    ],
)
async def test_stream_yields_full_snapshots_until_any_ending(
    client: GitBookClient, fake_gitbook: FakeGitBook, ending: DoneEvent | DoneData | Close
) -> None:
    fake_gitbook.script_ask([Snapshot("To"), Snapshot("To rotate"), ending])
    snapshots = await _collect(client)
    assert [s.markdown for s in snapshots] == ["To", "To rotate"]


async def test_request_is_markdown_format_and_schema_valid(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    session = VisitorSession(visitor_id="v1", session_id="s1")
    async for _ in client.ask("How do I rotate a key?", session=session, goal="set up CI"):
        pass
    (request,) = fake_gitbook.ask_requests
    assert request.query["format"] == "markdown"
    assert request.body == {
        "question": "How do I rotate a key?",
        "scope": {"mode": "default"},
        "context": {"goal": "set up CI"},
        "session": {"visitorId": "v1", "sessionId": "s1"},
    }
    assert request.headers["Authorization"] == "Bearer gb-token"
    assert fake_gitbook.schema_errors == []


async def test_a_channel_scope_is_sent_as_specific_site_spaces(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    async for _ in client.ask("How do I rotate a key?", scope=("sitesp_1", "sitesp_2")):
        pass
    (request,) = fake_gitbook.ask_requests
    assert request.body["scope"] == {"mode": "specific", "siteSpaceIds": ["sitesp_1", "sitesp_2"]}
    assert fake_gitbook.schema_errors == []  # valid against GitBook's OpenAPI


async def test_sources_and_followups_are_parsed(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask(
        [
            Snapshot(
                "Answer",
                sources=[
                    page_source("pg_9", space="spc_1", revision="rev_3"),
                    record_source("Changelog", "https://example.com/changelog"),
                    {"type": "mystery"},
                ],
                followups=["How do I revoke a key?"],
            ),
            DoneEvent(),
        ]
    )
    (snapshot,) = await _collect(client)
    assert snapshot.sources == (
        PageSource(space="spc_1", revision="rev_3", page="pg_9"),
        RecordSource(title="Changelog", url="https://example.com/changelog"),
    )
    assert snapshot.followups == ("How do I revoke a key?",)


async def test_empty_answer_is_a_snapshot_without_markdown(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot(None), DoneEvent()])
    (snapshot,) = await _collect(client)
    assert snapshot.markdown is None


async def test_garbage_and_comments_are_skipped(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask(
        [
            Raw(": keep-alive\n\n"),
            Snapshot("One"),
            Raw("data: {not json\n\n"),
            Raw('data: {"type": "other"}\n\n'),
            Raw("event: progress\ndata: {}\n\n"),
            Snapshot("One two"),
            DoneEvent(),
        ]
    )
    assert [s.markdown for s in await _collect(client)] == ["One", "One two"]


async def test_error_event_raises_with_gitbooks_message(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), ErrorEvent("Something went wrong")])
    seen: list[str | None] = []
    with pytest.raises(AskStreamError) as info:
        async for snapshot in client.ask("q"):
            seen.append(snapshot.markdown)
    assert seen == ["Partial"]
    assert info.value.message == "Something went wrong"


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        pytest.param(401, False, id="unauthorized"),
        pytest.param(404, False, id="not-found"),
        pytest.param(429, True, id="rate-limited"),
        pytest.param(503, True, id="unavailable"),
    ],
)
async def test_http_errors_carry_status_and_message(
    client: GitBookClient, fake_gitbook: FakeGitBook, status: int, transient: bool
) -> None:
    fake_gitbook.script_ask([HttpError(status, "Nope", headers={"Retry-After": "7"})])
    with pytest.raises(GitBookHTTPError) as info:
        await _collect(client)
    assert info.value.status_code == status
    assert info.value.message == "Nope"
    assert info.value.transient is transient
    assert info.value.retry_after == 7.0


async def test_hang_raises_timeout(client: GitBookClient, fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), Hang()])
    seen: list[str | None] = []
    with pytest.raises(GitBookTimeout):
        async for snapshot in client.ask("q"):
            seen.append(snapshot.markdown)
    assert seen == ["Partial"]


async def test_cut_connection_raises_connection_error(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), Cut()])
    with pytest.raises(GitBookConnectionError):
        await _collect(client)


async def test_document_answer_is_refused(client: GitBookClient, fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot(None, document={"object": "document", "nodes": []})])
    with pytest.raises(AskFormatError):
        await _collect(client)


async def test_closing_the_stream_early_releases_the_connection(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Snapshot("One"), Hang()])
    stream = client.ask("q")
    first = await anext(stream)
    await stream.aclose()
    assert first.markdown == "One"
    # The next question works at once: the connection was not left hanging.
    assert [s.markdown for s in await asyncio.wait_for(_collect(client), 5)] == [
        "Hello",
        "Hello world",
    ]


async def test_site_spaces_follow_pagination(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.site_spaces_page_size = 1
    fake_gitbook.add_site_space("spc_1", "https://docs.example.com/")
    fake_gitbook.add_site_space("spc_2", "https://docs.example.com/api/")
    spaces = await client.site_spaces()
    assert [(s.space_id, s.published_url) for s in spaces] == [
        ("spc_1", "https://docs.example.com/"),
        ("spc_2", "https://docs.example.com/api/"),
    ]


@asynccontextmanager
async def _client_answering_html() -> AsyncIterator[GitBookClient]:
    """A client whose every request gets a proxy's HTML error page with status 200."""
    settings = GitBookSettings(
        api_token="gb-token",  # type: ignore[arg-type]
        organization_id="org_1",
        site_id="site_1",
        api_url="http://gitbook.invalid/v1",
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>oops</html>"))
    async with httpx.AsyncClient(transport=transport, base_url=settings.api_url + "/") as http:
        yield GitBookClient(http, settings)


async def test_a_look_up_answering_html_raises_a_gitbook_error_not_a_decode_error() -> None:
    # A proxy's error page with status 200: callers drop the source, they must not crash.
    async with _client_answering_html() as client:
        with pytest.raises(AskFormatError, match="did not answer JSON"):
            await client.current_page("spc_1", "pg_1")


# --- issue 14: events by any name, a BOM, keep-alives, the deadline -----------------------------


async def _client_with(
    fake_gitbook: FakeGitBook, *, chunk_timeout: float, deadline: float = 240.0
) -> AsyncIterator[GitBookClient]:
    settings = GitBookSettings(
        api_token="gb-token",  # type: ignore[arg-type]
        organization_id="org_1",
        site_id="site_1",
        api_url=fake_gitbook.url,
        timeout_seconds=chunk_timeout,
        answer_deadline_seconds=deadline,
    )
    async with make_http_client(settings) as http:
        yield GitBookClient(http, settings)


async def test_events_of_any_name_but_done_and_error_are_snapshots(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask(
        [
            Snapshot("One", event="answer"),
            Snapshot("One two", event="message"),
            Snapshot("One two three", event="chunk"),
            Raw("event: answer\ndata: done\n\n"),
            Snapshot("never read"),
        ]
    )
    assert [s.markdown for s in await _collect(client)] == ["One", "One two", "One two three"]


async def test_a_leading_bom_does_not_lose_the_first_snapshot(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.script_ask([Raw("\ufeff" + Snapshot("First").to_sse()), DoneEvent()])
    assert [s.markdown for s in await _collect(client)] == ["First"]


async def test_keep_alives_after_a_snapshot_do_not_hold_the_answer_open(
    fake_gitbook: FakeGitBook,
) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), KeepAlive(0.05)])
    seen: list[str | None] = []
    async for client in _client_with(fake_gitbook, chunk_timeout=0.5):
        with pytest.raises(GitBookTimeout) as info:
            async for snapshot in client.ask("q"):
                seen.append(snapshot.markdown)
    assert seen == ["Partial"]
    assert info.value.transient  # nothing lost yet: a retry may still answer in time


async def test_keep_alives_before_the_first_snapshot_do_not_count_as_one(
    fake_gitbook: FakeGitBook,
) -> None:
    fake_gitbook.script_ask([KeepAlive(0.05)])
    async for client in _client_with(fake_gitbook, chunk_timeout=0.5):
        with pytest.raises(GitBookTimeout):
            await _collect(client)


async def test_an_answer_still_growing_at_its_deadline_ends_there(
    fake_gitbook: FakeGitBook,
) -> None:
    fake_gitbook.script_ask([Drip(0.05)])
    seen: list[str | None] = []
    async for client in _client_with(fake_gitbook, chunk_timeout=0.5, deadline=1.0):
        with pytest.raises(GitBookTimeout) as info:
            async for snapshot in client.ask("q"):
                seen.append(snapshot.markdown)
    assert len(seen) >= 2 and seen[-1] is not None and seen[-1].startswith("more more")
    assert not info.value.transient  # the deadline is spent: no retry


async def test_a_response_that_is_not_an_event_stream_is_a_format_error() -> None:
    async with _client_answering_html() as client:
        with pytest.raises(AskFormatError, match="not an event stream"):
            await _collect(client)


# --- comments (postCommentInSpace) ---------------------------------------------------------------


async def test_post_comment_sends_the_page_and_a_valid_document(
    client: GitBookClient, fake_gitbook: FakeGitBook
) -> None:
    fake_gitbook.add_page("space_1", "page_1", "Keys", "keys")
    body = comment_body([Line("Question:", "how do I rotate a key?")])
    await client.post_comment(PageRef("space_1", "page_1"), body)
    (comment,) = fake_gitbook.comments
    assert comment.space == "space_1"
    assert comment.body == {"page": "page_1", "body": body}
    assert comment.text == "Question: how do I rotate a key?"
    assert fake_gitbook.schema_errors == []


@pytest.mark.parametrize(
    ("status", "page"),
    [
        pytest.param(403, "page_1", id="no-write-access"),
        pytest.param(None, "page_gone", id="page-gone"),
    ],
)
async def test_a_refused_comment_is_a_gitbook_http_error(
    client: GitBookClient, fake_gitbook: FakeGitBook, status: int | None, page: str
) -> None:
    fake_gitbook.add_page("space_1", "page_1", "Keys", "keys")
    fake_gitbook.fail_comments(status)
    with pytest.raises(GitBookHTTPError) as info:
        await client.post_comment(PageRef("space_1", page), comment_body([Line("Reason:")]))
    assert info.value.status_code == (status or 404)
    assert fake_gitbook.comments == []


async def test_a_retry_keeps_the_deadline_of_the_first_attempt(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("never shown"), DoneEvent()])
    async for client in _client_with(fake_gitbook, chunk_timeout=5.0, deadline=1.0):
        spent = asyncio.get_running_loop().time() - 1.0  # the first attempt began 1 s ago
        with pytest.raises(GitBookTimeout) as info:
            async for _ in client.ask("q", started_at=spent):
                raise AssertionError("no snapshot fits in a spent deadline")
    assert not info.value.transient
