"""The fake's insights aggregation: request and response validated, figures computed honestly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import jsonschema
import pytest

from tests.fakes.gitbook import FakeGitBook, HttpError, ask_question_event

AGGREGATE = "/orgs/org_1/sites/site_1/insights/events/aggregate"
EVENTS = "/orgs/org_1/sites/site_1/insights/events"
NOW = dt.datetime.now(dt.UTC)
ASKED = {"column": "eventType", "values": ["ask_question"]}
COUNT = {"column": "eventsCount"}


def _client(gb: FakeGitBook) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gb.url, headers={"Authorization": "Bearer gb-token"})


async def _aggregate(gb: FakeGitBook, query: dict[str, Any]) -> httpx.Response:
    async with _client(gb) as client:
        return await client.post(AGGREGATE, json=query)


def _rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return list(zip(*(c["values"] for c in body["columns"]), strict=True))


async def test_counts_questions_by_context_within_the_range(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.seed_events(
        [
            ask_question_event("a", NOW - dt.timedelta(hours=1), context="server"),
            ask_question_event("b", NOW - dt.timedelta(days=2), context="site"),
            ask_question_event("c", NOW - dt.timedelta(days=3), context="server"),
            ask_question_event("old", NOW - dt.timedelta(days=9), context="site"),
        ]
    )
    context = {"column": "displayContext"}
    query = {
        "range": "last7Days",
        "select": [context, COUNT],
        "groupBy": [context],
        "where": [ASKED],
        "order": {"by": COUNT, "direction": "desc"},
    }
    response = await _aggregate(fake_gitbook, query)
    assert response.status_code == 200
    assert _rows(response.json()) == [("server", 2), ("site", 1)]
    assert fake_gitbook.aggregate_requests == [query]


async def test_groups_by_day_and_question_with_custom_range_and_limit(
    fake_gitbook: FakeGitBook,
) -> None:
    day = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    fake_gitbook.seed_events(
        [
            ask_question_event("How?", day),
            ask_question_event("How?", day + dt.timedelta(hours=2)),
            ask_question_event("Why?", day + dt.timedelta(days=1)),
            ask_question_event("Later", day + dt.timedelta(days=5)),
        ]
    )
    when = {"column": "datetime", "interval": "day"}
    query = {
        "range": {"from": "2026-11-20T00:00:00Z", "to": "2026-11-22T00:00:00Z"},
        "select": [when, COUNT],
        "groupBy": [when],
        "order": {"by": when, "direction": "asc"},
    }
    days = _rows((await _aggregate(fake_gitbook, query)).json())
    assert days == [("2026-11-20T00:00:00.000Z", 2), ("2026-11-21T00:00:00.000Z", 1)]
    question = {"column": "eventSearchQuery"}
    top = {**query, "select": [question, COUNT], "groupBy": [question], "limit": 1}
    top["order"] = {"by": COUNT, "direction": "desc"}
    assert _rows((await _aggregate(fake_gitbook, top)).json()) == [("How?", 2)]


async def test_events_the_bot_sent_are_aggregated_too(fake_gitbook: FakeGitBook) -> None:
    async with _client(fake_gitbook) as client:
        sent = await client.post(EVENTS, json={"events": [ask_question_event("Sent?", NOW)]})
    assert sent.status_code == 204
    response = await _aggregate(fake_gitbook, {"range": "last24Hours", "select": [COUNT]})
    assert _rows(response.json()) == [(1,)]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"select": [COUNT]}, id="no-range"),
        pytest.param({"range": "lastWeek"}, id="unknown-range"),
        pytest.param({"range": "last7Days", "limit": 0}, id="limit-0"),
        pytest.param({"range": "last7Days", "select": [{"column": "nope"}]}, id="unknown-column"),
        pytest.param({"range": {"from": "yesterday", "to": "today"}}, id="bad-timestamps"),
    ],
)
async def test_invalid_queries_are_refused(fake_gitbook: FakeGitBook, query: Any) -> None:
    response = await _aggregate(fake_gitbook, query)
    assert response.status_code == 400
    assert len(fake_gitbook.schema_errors) == 1


async def test_scripted_answers_come_first_in_order(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_aggregate(
        HttpError(403, "Forbidden"), {"columns": [{"column": "eventsCount", "values": [7]}]}
    )
    first = await _aggregate(fake_gitbook, {"range": "last7Days"})
    second = await _aggregate(fake_gitbook, {"range": "last7Days"})
    third = await _aggregate(fake_gitbook, {"range": "last7Days"})
    assert first.status_code == 403
    assert first.json() == {"error": {"code": 403, "message": "Forbidden"}}
    assert second.json() == {"columns": [{"column": "eventsCount", "values": [7]}]}
    assert _rows(third.json()) == [(0,)]  # computed again: no events, one empty count


def test_scripted_answers_must_match_the_response_schema(fake_gitbook: FakeGitBook) -> None:
    with pytest.raises(jsonschema.ValidationError):
        fake_gitbook.script_aggregate({"columns": [{"column": "eventsCount", "values": ["7"]}]})
    with pytest.raises(jsonschema.ValidationError):
        fake_gitbook.seed_events([{**ask_question_event("q", NOW), "location": {}}])


async def test_unsupported_query_is_a_loud_server_error() -> None:
    async with FakeGitBook() as gb:
        response = await _aggregate(gb, {"range": "last7Days", "groupBy": [{"column": "page"}]})
        assert response.status_code == 500
        assert "UnsupportedQuery" in gb.server_errors[0]
        gb.server_errors.clear()
