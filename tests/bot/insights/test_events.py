"""Insights: keyed visitor/session ids and the `ask_question` event GitBook accepts."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator

import jsonschema
import pytest

from bot.gitbook.client import GitBookClient, make_http_client
from bot.gitbook.directory import SiteDirectory
from bot.gitbook.wire import VisitorSession
from bot.insights.events import Insights, ask_question_event, visitor_session
from bot.models import Asker, Question
from bot.settings import GitBookSettings, Secret
from bot.tasks import BackgroundTasks
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.openapi import validate_request_body

EVENTS_PATH = "/orgs/{organizationId}/sites/{siteId}/insights/events"
KEY = "insights-key-0123456789"
ASKER = Asker(workspace="T0TEAM42", user="U0ASKER7", conversation="C0CHAN9:1700000000.000100")
SESSION = VisitorSession(visitor_id="slack-abc", session_id="slack-def")


def test_ids_are_deterministic() -> None:
    copy = Asker("T0TEAM42", "U0ASKER7", "C0CHAN9:1700000000.000100")
    assert visitor_session(KEY, ASKER) == visitor_session(KEY, copy)


@pytest.mark.parametrize(
    ("other_key", "other", "visitor_changes"),
    [
        pytest.param(KEY, Asker("T0TEAM42", "U0OTHER1", ASKER.conversation), True, id="user"),
        pytest.param(KEY, Asker("T0OTHER9", "U0ASKER7", ASKER.conversation), True, id="workspace"),
        pytest.param(KEY, Asker("T0TEAM42", "U0ASKER7", "C0CHAN9:1.2"), False, id="conversation"),
        pytest.param(KEY, Asker("T0TEAM42", "U0ASKER7", None), False, id="no-conversation"),
        pytest.param("another-key-987654321", ASKER, True, id="key"),
    ],
)
def test_ids_differ_per_user_workspace_conversation_and_key(
    other_key: str, other: Asker, visitor_changes: bool
) -> None:
    mine, theirs = visitor_session(KEY, ASKER), visitor_session(other_key, other)
    assert mine.session_id != theirs.session_id
    # One person keeps one visitor id across their conversations.
    assert (mine.visitor_id != theirs.visitor_id) is visitor_changes


def test_ids_contain_no_raw_slack_id() -> None:
    session = visitor_session(KEY, ASKER)
    text = session.visitor_id + session.session_id
    for raw in ("T0TEAM42", "U0ASKER7", "C0CHAN9", "1700000000", KEY):
        assert raw not in text
    assert session.visitor_id != session.session_id


def _event(question: Question) -> dict[str, object]:
    return ask_question_event(
        question, visitor_session(KEY, question.asker), "https://docs.example.com/"
    )


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(Question(text="How do I rotate an API key?", asker=ASKER), id="plain"),
        pytest.param(
            Question(text="And on Windows?", asker=ASKER, goal='Earlier: Q: "install?"'),
            id="with-goal",
        ),
        pytest.param(Question(text='ü ☃ 日本語 <@U1> "quoted"', asker=ASKER), id="unicode"),
    ],
)
def test_event_validates_against_the_openapi_schema(question: Question) -> None:
    event = _event(question)
    validate_request_body(EVENTS_PATH, "post", {"events": [event]})
    assert event["type"] == "ask_question"
    assert event["query"] == question.text
    assert event.get("goal") == question.goal


def test_schema_check_is_real() -> None:
    # The validator used above refuses a broken event, so passing it means something.
    event = _event(Question(text="q", asker=ASKER))
    event["timestamp"] = "yesterday"
    with pytest.raises(jsonschema.ValidationError):
        validate_request_body(EVENTS_PATH, "post", {"events": [event]})


def test_event_timestamp_is_now_in_utc() -> None:
    before = dt.datetime.now(dt.UTC)
    event = _event(Question(text="q", asker=ASKER))
    after = dt.datetime.now(dt.UTC)
    stamp = str(event["timestamp"])
    assert stamp.endswith("Z")
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before - dt.timedelta(milliseconds=1) <= when <= after + dt.timedelta(milliseconds=1)


def test_event_carries_the_hashed_session_and_no_raw_id() -> None:
    question = Question(text="q", asker=ASKER)
    session = visitor_session(KEY, ASKER)
    event = ask_question_event(question, session, "https://docs.example.com/")
    assert event["session"]["visitorId"] == session.visitor_id  # type: ignore[index]
    assert event["session"]["sessionId"] == session.session_id  # type: ignore[index]
    assert event["location"]["url"] == "https://docs.example.com/"  # type: ignore[index]
    dumped = json.dumps(event)
    for raw in ("T0TEAM42", "U0ASKER7", "C0CHAN9"):
        assert raw not in dumped


@contextlib.asynccontextmanager
async def _insights(fake_gitbook: FakeGitBook, tasks: BackgroundTasks) -> AsyncIterator[Insights]:
    settings = GitBookSettings(
        api_token=Secret("gb-token"),
        organization_id="org_1",
        site_id="site_1",
        api_url=fake_gitbook.url,
    )
    async with make_http_client(settings) as http:
        gitbook = GitBookClient(http, settings)
        yield Insights(gitbook, SiteDirectory(gitbook), tasks, hash_key="k")


async def test_questions_asked_together_share_one_post_with_one_event_each(
    fake_gitbook: FakeGitBook,
) -> None:
    tasks = BackgroundTasks()
    async with _insights(fake_gitbook, tasks) as insights:
        for index in range(7):
            insights.question_asked(Question(f"question {index}", Asker("T1", f"U{index}")))
        await fake_gitbook.wait_until(lambda: len(fake_gitbook.insight_events) == 7)
        await tasks.join(grace_seconds=2.0)
    posts = [c for c in fake_gitbook.calls if c[1].endswith("/insights/events")]
    assert len(posts) == 1
    assert [e["query"] for e in fake_gitbook.insight_events] == [f"question {i}" for i in range(7)]
    assert fake_gitbook.schema_errors == []


async def test_a_failed_post_is_logged_not_raised(
    fake_gitbook: FakeGitBook, caplog: pytest.LogCaptureFixture
) -> None:
    fake_gitbook.fail_insights(500)
    tasks = BackgroundTasks()
    async with _insights(fake_gitbook, tasks) as insights:
        insights.question_asked(Question("q", Asker("T1", "U1")))
        await tasks.join(grace_seconds=2.0)
    assert any("insights events not recorded" in r.getMessage() for r in caplog.records)
