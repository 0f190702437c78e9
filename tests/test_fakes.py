"""The fakes speak the protocols the bot relies on (so the bot's tests can trust them)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from httpx_sse import aconnect_sse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.gitbook import (
    Cut,
    Delay,
    DoneData,
    ErrorEvent,
    FakeGitBook,
    Hang,
    HttpError,
    Raw,
    Snapshot,
    WaitFor,
    page_source,
)
from tests.fakes.openapi import validate_request_body, validate_schema
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_api import FakeSlack, buttons, sign_slack_request, visible_text

ASK = "/orgs/org_1/sites/site_1/ask"
EVENTS = "/orgs/org_1/sites/site_1/insights/events"
QUESTION = {"question": "How do I rotate an API key?", "scope": {"mode": "default"}}


def _gitbook_client(gb: FakeGitBook, *, read: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=gb.url,
        headers={"Authorization": "Bearer gb-token"},
        timeout=httpx.Timeout(5.0, read=read),
    )


async def _ask(gb: FakeGitBook, body: dict[str, Any] = QUESTION) -> list[tuple[str, str]]:
    async with (
        _gitbook_client(gb) as client,
        aconnect_sse(client, "POST", ASK, params={"format": "markdown"}, json=body) as source,
    ):
        assert source.response.status_code == 200
        return [(sse.event, sse.data) async for sse in source.aiter_sse()]


def _ask_question_event(**changes: Any) -> dict[str, Any]:
    """docs/gitbook.md §9's example, with a current timestamp."""
    event: dict[str, Any] = {
        "type": "ask_question",
        "query": "How do I rotate an API key?",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "session": {
            "visitorId": "v_3f9a",
            "sessionId": "s_81c2",
            "cookies": {},
            "userAgent": "gitbook-slack-bot/1.0",
            "language": None,
            "referrer": None,
        },
        "location": {
            "url": "https://docs.example.com/",
            "displayContext": "server",
            "siteSection": None,
            "siteSpace": None,
            "siteShareKey": None,
            "space": None,
            "revision": None,
            "page": None,
        },
    }
    event.update(changes)
    return event


# --- FakeGitBook: Ask -----------------------------------------------------------------------------


async def test_default_ask_streams_snapshots_then_done(fake_gitbook: FakeGitBook) -> None:
    events = await _ask(fake_gitbook)

    assert [e for e, _ in events] == ["message", "message", "done"]
    first, second = (json.loads(data) for _, data in events[:2])
    assert first["answer"]["answer"] == {"markdown": "Hello"}
    assert second["answer"]["answer"] == {"markdown": "Hello world"}
    assert second["answer"]["sources"] == [page_source()]
    assert len(second["answer"]["followupQuestions"]) == 1
    assert fake_gitbook.ask_requests[0].body == QUESTION
    assert fake_gitbook.ask_requests[0].headers["Accept"] == "text/event-stream"
    assert fake_gitbook.calls == [("POST", f"/v1{ASK}")]


async def test_ask_scripts_by_question_then_queue_then_default(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("Mine"), DoneData()], question="mine?")
    fake_gitbook.script_ask([Snapshot(None, sources=[page_source("p9")]), Raw(": ping\n\n")])

    queued = await _ask(fake_gitbook, {**QUESTION, "question": "other"})
    mine = [await _ask(fake_gitbook, {**QUESTION, "question": "mine?"}) for _ in range(2)]
    default = await _ask(fake_gitbook)

    assert json.loads(queued[0][1])["answer"]["answer"] == {}
    assert len(queued) == 1  # comment lines are not events; a clean close ends the stream
    assert mine[0] == mine[1] == [("message", mine[0][0][1]), ("message", "done")]
    assert default[-1] == ("done", "done")


async def test_ask_error_event_and_document_snapshot(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("x", document={"nodes": []}), ErrorEvent("Boom")])

    events = await _ask(fake_gitbook)

    assert json.loads(events[0][1])["answer"]["answer"] == {"document": {"nodes": []}}
    assert events[1] == ("error", '{"error":{"message":"Boom"}}')


async def test_http_error_is_a_json_error_not_a_stream(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([HttpError(429, "Slow down", {"X-RateLimit-Reset": "1700000000"})])

    async with _gitbook_client(fake_gitbook) as client:
        response = await client.post(ASK, params={"format": "markdown"}, json=QUESTION)

    assert response.status_code == 429
    assert response.json() == {"error": {"code": 429, "message": "Slow down"}}
    assert response.headers["X-RateLimit-Reset"] == "1700000000"


async def test_wrong_token_is_401(fake_gitbook: FakeGitBook) -> None:
    async with httpx.AsyncClient(base_url=fake_gitbook.url) as client:
        response = await client.post(ASK, params={"format": "markdown"}, json=QUESTION)

    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "message": "Unauthorized"}}
    assert fake_gitbook.ask_requests == []


@pytest.mark.parametrize(
    ("params", "body"),
    [
        pytest.param({"format": "markdown"}, {"scope": {"mode": "default"}}, id="no-question"),
        pytest.param({"format": "markdown"}, {**QUESTION, "question": "q" * 513}, id="too-long"),
        pytest.param({}, QUESTION, id="no-format"),
    ],
)
async def test_invalid_ask_is_refused_and_recorded(
    fake_gitbook: FakeGitBook, params: dict[str, str], body: dict[str, Any]
) -> None:
    async with _gitbook_client(fake_gitbook) as client:
        response = await client.post(ASK, params=params, json=body)

    assert response.status_code == 400
    assert len(fake_gitbook.schema_errors) == 1
    assert fake_gitbook.ask_requests == []


async def test_cut_is_a_transport_error_not_a_clean_end(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), Cut()])

    with pytest.raises(httpx.RemoteProtocolError):
        await _ask(fake_gitbook)


async def test_hang_makes_the_client_time_out(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot("Partial"), Hang()])

    seen = []
    async with (
        _gitbook_client(fake_gitbook, read=0.2) as client,
        aconnect_sse(client, "POST", ASK, params={"format": "markdown"}, json=QUESTION) as source,
    ):
        with pytest.raises(httpx.ReadTimeout):
            async for sse in source.aiter_sse():
                seen.append(sse.data)
    assert len(seen) == 1


async def test_wait_for_holds_the_stream_and_counts_in_flight() -> None:
    release = asyncio.Event()
    async with FakeGitBook() as gb:
        for _ in range(2):
            gb.script_ask([Snapshot("a"), WaitFor(release), Delay(0.01), Snapshot("ab")])
        asks = [asyncio.create_task(_ask(gb)) for _ in range(2)]
        await gb.wait_until(lambda: gb.ask_in_flight == 2)
        release.set()
        results = await asyncio.gather(*asks)
    assert [len(r) for r in results] == [2, 2]
    assert (gb.ask_in_flight, gb.max_ask_in_flight) == (0, 2)


async def test_closing_releases_held_streams() -> None:
    async with FakeGitBook() as gb:
        gb.script_ask([Snapshot("a"), Hang()])
        ask = asyncio.create_task(_ask(gb))
        await gb.wait_until(lambda: gb.ask_in_flight == 1)
    with pytest.raises(httpx.TransportError):
        await ask


async def test_wait_until_times_out_with_a_description(fake_gitbook: FakeGitBook) -> None:
    with pytest.raises(AssertionError, match="GitBook calls"):
        await fake_gitbook.wait_until(lambda: False, timeout=0.05)


# --- FakeGitBook: site spaces, pages, insights ----------------------------------------------------


async def test_site_spaces_paginate_and_match_the_schema(fake_gitbook: FakeGitBook) -> None:
    for n in range(3):
        fake_gitbook.add_site_space(f"space_{n}", f"https://docs.example.com/v{n}/")
    fake_gitbook.site_spaces_page_size = 2

    async with _gitbook_client(fake_gitbook) as client:
        first = (await client.get("/orgs/org_1/sites/site_1/site-spaces")).json()
        params = {"page": first["next"]["page"]}
        second = (await client.get("/orgs/org_1/sites/site_1/site-spaces", params=params)).json()

    items = first["items"] + second["items"]
    assert [i["space"]["id"] for i in items] == ["space_0", "space_1", "space_2"]
    assert first["count"] == 3 and "next" not in second
    assert items[0]["default"] is True and items[0]["urls"]["published"].endswith("/v0/")


async def test_pages_resolve_fail_and_404(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.add_page("space_1", "page_1", "API keys", "security/api-keys")
    fake_gitbook.fail_page("space_1", "page_2", status=500, times=1)
    fake_gitbook.add_page("space_1", "page_2", "Later", "later")

    async with _gitbook_client(fake_gitbook) as client:
        page = await client.get("/spaces/space_1/revisions/rev_1/page/page_1")
        current = await client.get("/spaces/space_1/content/page/page_1")
        failed = await client.get("/spaces/space_1/revisions/rev_1/page/page_2")
        retried = await client.get("/spaces/space_1/revisions/rev_1/page/page_2")
        missing = await client.get("/spaces/space_1/revisions/rev_1/page/nope")

    assert page.json()["path"] == "security/api-keys" and page.json() == current.json()
    assert (failed.status_code, retried.status_code) == (500, 200)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": 404, "message": "Page not found"}}


async def test_valid_insights_event_is_accepted(fake_gitbook: FakeGitBook) -> None:
    body = {"events": [_ask_question_event()]}

    async with _gitbook_client(fake_gitbook) as client:
        response = await client.post(EVENTS, json=body)

    assert response.status_code == 204
    assert fake_gitbook.insight_events == body["events"]
    assert fake_gitbook.schema_errors == []


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(_ask_question_event(query=None), id="query-null"),
        pytest.param(_ask_question_event(session={"visitorId": "v"}), id="session-incomplete"),
        pytest.param(_ask_question_event(timestamp="2020-01-01T00:00:00Z"), id="timestamp-old"),
    ],
)
async def test_invalid_insights_event_is_refused(
    fake_gitbook: FakeGitBook, event: dict[str, Any]
) -> None:
    async with _gitbook_client(fake_gitbook) as client:
        response = await client.post(EVENTS, json={"events": [event]})

    assert response.status_code == 400
    assert fake_gitbook.insight_events == []
    assert len(fake_gitbook.schema_errors) == 1


async def test_scripted_insights_failure(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.fail_insights(503)

    async with _gitbook_client(fake_gitbook) as client:
        response = await client.post(EVENTS, json={"events": [_ask_question_event()]})

    assert response.status_code == 503
    assert fake_gitbook.insight_events == []


def test_openapi_validation_resolves_refs() -> None:
    location = _ask_question_event()["location"]
    template = "/orgs/{organizationId}/sites/{siteId}/insights/events"
    validate_request_body(template, "post", {"events": [_ask_question_event()]})
    bad = copy.deepcopy(location)
    bad["url"] = "not a url"
    validate_schema("SiteInsightsEventLocation", location)
    with pytest.raises(Exception, match="is not a 'uri'"):
        validate_schema("SiteInsightsEventLocation", bad)


# --- FakeSlack ------------------------------------------------------------------------------------


def _slack_client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def test_post_then_update_is_recorded(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)

    posted = await client.chat_postMessage(channel="C1", thread_ts="1700000000.000100", text="…")
    await client.chat_update(
        channel="C1", ts=posted["ts"], text="Answer", blocks=[_markdown("**Answer**")]
    )

    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", "chat.update"]
    assert fake_slack.calls[1].args["blocks"] == [_markdown("**Answer**")]
    message = fake_slack.messages[("C1", posted["ts"])]
    assert (message["edits"], message["thread_ts"]) == (1, "1700000000.000100")
    assert visible_text(message) == "**Answer**"
    assert fake_slack.thread("C1", "1700000000.000100") == [message]


async def test_update_over_4000_chars_is_msg_too_long(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)
    posted = await client.chat_postMessage(channel="C1", text="…")

    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C1", ts=posted["ts"], text="x" * 4001)

    assert caught.value.response["error"] == "msg_too_long"
    assert [r.error for r in fake_slack.refusals] == ["msg_too_long"]
    assert fake_slack.messages[("C1", posted["ts"])]["text"] == "…"


async def test_rate_limit_next_answers_429_with_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next("chat.update", retry_after=7)
    client = _slack_client(fake_slack)
    posted = await client.chat_postMessage(channel="C1", text="…")

    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C1", ts=posted["ts"], text="a")
    await client.chat_update(channel="C1", ts=posted["ts"], text="b")

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert fake_slack.count_429["chat.update"] == 1
    assert fake_slack.messages[("C1", posted["ts"])]["text"] == "b"


async def test_sliding_window_rate_limit(fake_slack: FakeSlack) -> None:
    fake_slack.set_rate_limit("chat.postMessage", per_minute=2, retry_after=3)
    client = _slack_client(fake_slack)

    for _ in range(2):
        await client.chat_postMessage(channel="C1", text="ok")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="too many")

    assert fake_slack.count_429["chat.postMessage"] == 1
    assert len(fake_slack.messages) == 2


async def test_fail_next_and_auth(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", "not_in_channel")
    client = _slack_client(fake_slack)

    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C1", text="hi")
    auth = await client.auth_test()
    no_token = AsyncWebClient(base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError, match="not_authed"):
        await no_token.chat_postMessage(channel="C1", text="hi")

    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T1")
    assert fake_slack.messages == {}


def _markdown(text: str) -> dict[str, Any]:
    return {"type": "markdown", "text": text}


def _button(text: str, action_id: str, value: str = "v") -> dict[str, Any]:
    button_text = {"type": "plain_text", "text": text}
    return {"type": "button", "text": button_text, "action_id": action_id, "value": value}


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param([_markdown("x")] * 51, id="51-blocks"),
        pytest.param(
            [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], id="section"
        ),
        pytest.param([_markdown("x" * 6001), _markdown("y" * 6000)], id="markdown-total"),
        pytest.param([{"type": "actions", "elements": [_button("x" * 76, "a")]}], id="button-text"),
        pytest.param(
            [{"type": "actions", "elements": [_button("ok", "a", "v" * 2001)]}], id="value"
        ),
        pytest.param(
            [{"type": "actions", "elements": [_button("a", "same"), _button("b", "same")]}],
            id="duplicate-action-id",
        ),
    ],
)
async def test_block_limits_are_invalid_blocks(fake_slack: FakeSlack, blocks: list[Any]) -> None:
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await _slack_client(fake_slack).chat_postMessage(channel="C1", text="t", blocks=blocks)

    assert [r.error for r in fake_slack.refusals] == ["invalid_blocks"]


async def test_ephemeral_delete_and_query_arguments(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)
    actions = {"type": "actions", "elements": [_button("Share", "share")]}

    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="t", blocks=[actions])
    posted = await client.chat_postMessage(channel="C1", text="public")
    fake_slack.usergroups["S1"] = ["U1"]
    await client.usergroups_users_list(usergroup="S1")
    await client.chat_delete(channel="C1", ts=posted["ts"])

    assert fake_slack.ephemerals[0]["message_ts"] == ephemeral["message_ts"]
    assert [b["action_id"] for b in buttons(fake_slack.ephemerals[0])] == ["share"]
    assert fake_slack.calls_to("usergroups.users.list")[0].args["usergroup"] == "S1"  # as query
    assert fake_slack.messages == {} and fake_slack.deleted[0]["text"] == "public"


async def test_native_stream_appends_then_stops(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)
    stream = await client.chat_stream(
        channel="C1",
        thread_ts="1700000000.000100",
        recipient_team_id="T1",
        recipient_user_id="U1",
        buffer_size=1,
    )

    await stream.append(markdown_text="Hello ")
    await stream.append(markdown_text="world")
    await stream.stop(blocks=[_markdown("_sources_")])

    methods = [c.method for c in fake_slack.calls]
    assert methods == ["chat.startStream", "chat.appendStream", "chat.stopStream"]
    message = fake_slack.messages[("C1", str(stream.ts))]
    assert visible_text(message) == "Hello world\n_sources_"
    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        await client.chat_appendStream(channel="C1", ts=str(stream.ts), markdown_text="late")


async def test_response_url_records_webhooks(fake_slack: FakeSlack) -> None:
    webhook = AsyncWebhookClient(fake_slack.response_url("cmd1"))

    sent = await webhook.send(text="Searching the docs…", response_type="ephemeral")
    deleted = await webhook.send_dict({"delete_original": True})

    assert (sent.status_code, sent.body, deleted.status_code) == (200, "ok", 200)
    assert [w.delete_original for w in fake_slack.webhooks_to("cmd1")] == [False, True]
    assert fake_slack.webhooks[0].body["text"] == "Searching the docs…"


def test_signed_request_headers_verify() -> None:
    body = "token=x&command=%2Fdocs&text=hello"

    headers = sign_slack_request(body, "secret", timestamp=1_700_000_000)

    verifier = SignatureVerifier("secret", clock=_FixedClock(1_700_000_000))
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


# --- Redis ----------------------------------------------------------------------------------------


async def test_redis_url_answers_ping(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()


async def test_private_redis_can_stop_and_restart(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.set("k", "v")
        await redis_server.astop()
        with pytest.raises(redis.exceptions.ConnectionError):
            await client.get("k")
        await redis_server.astart()
        assert await client.get("k") is None  # no persistence: a restart starts empty
    finally:
        await client.aclose()


# --- FakeSlack: the assistant pane ----------------------------------------------------------------

_PROMPTS = [{"title": "Start", "message": "How do I start?"}]


async def test_suggested_prompts_with_thread_ts_are_silently_ignored_for_an_agent_app(
    fake_slack: FakeSlack,
) -> None:
    client = _slack_client(fake_slack)
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", thread_ts="1700000000.000100", prompts=_PROMPTS
    )
    assert fake_slack.suggested_prompts == {}  # ok:true, yet nothing shown (as Slack does)
    assert len(fake_slack.ignored_prompt_calls) == 1
    await client.assistant_threads_setSuggestedPrompts(channel_id="D1", prompts=_PROMPTS)
    assert fake_slack.suggested_prompts[("D1", None)]["prompts"] == _PROMPTS


async def test_suggested_prompts_per_thread_in_the_legacy_experience(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.agent_view = False
    client = _slack_client(fake_slack)
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", thread_ts="1700000000.000100", prompts=_PROMPTS
    )
    assert ("D1", "1700000000.000100") in fake_slack.suggested_prompts


@pytest.mark.parametrize(
    "prompts",
    [
        pytest.param([], id="none"),
        pytest.param(_PROMPTS * 5, id="five"),
        pytest.param([{"title": "Start"}], id="no-message"),
    ],
)
async def test_suggested_prompts_are_one_to_four_with_title_and_message(
    fake_slack: FakeSlack, prompts: list[dict[str, str]]
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await _slack_client(fake_slack).assistant_threads_setSuggestedPrompts(
            channel_id="D1", prompts=prompts
        )
    assert caught.value.response["error"] == "invalid_arguments"


async def test_set_title_names_a_thread_and_needs_its_arguments(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)
    await client.assistant_threads_setTitle(channel_id="D1", thread_ts="1.1", title="SSO")
    assert fake_slack.thread_titles == {("D1", "1.1"): "SSO"}
    with pytest.raises(SlackApiError) as caught:
        await client.assistant_threads_setTitle(channel_id="D1", thread_ts="1.1", title="")
    assert caught.value.response["error"] == "invalid_arguments"


async def test_a_static_select_over_slacks_limits_is_invalid_blocks(fake_slack: FakeSlack) -> None:
    option = {"text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}
    select = {"type": "multi_static_select", "action_id": "a", "options": [option]}
    with pytest.raises(SlackApiError) as caught:
        await _slack_client(fake_slack).chat_postMessage(
            channel="C1", text="t", blocks=[{"type": "actions", "elements": [select]}]
        )
    assert caught.value.response["error"] == "invalid_blocks"


# --- modals and permalinks ------------------------------------------------------------------------

_MODAL = {
    "type": "modal",
    "callback_id": "cb",
    "title": {"type": "plain_text", "text": "Feedback"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "optional": True,
            "label": {"type": "plain_text", "text": "What was wrong?"},
            "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True},
        }
    ],
}


async def test_views_open_takes_each_trigger_once(fake_slack: FakeSlack) -> None:
    client = _slack_client(fake_slack)
    trigger = fake_slack.issue_trigger()
    opened = await client.views_open(trigger_id=trigger, view=_MODAL)
    assert opened["view"]["callback_id"] == "cb" and opened["view"]["id"]
    assert fake_slack.opened_views == [opened["view"]]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=trigger, view=_MODAL)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="made-up", view=_MODAL)


@pytest.mark.parametrize(
    "view",
    [
        pytest.param({**_MODAL, "type": "home"}, id="not-a-modal"),
        pytest.param({k: v for k, v in _MODAL.items() if k != "submit"}, id="input-no-submit"),
        pytest.param(
            {**_MODAL, "title": {"type": "plain_text", "text": "x" * 25}}, id="title-too-long"
        ),
        pytest.param({**_MODAL, "private_metadata": "x" * 3001}, id="metadata-too-long"),
    ],
)
async def test_views_open_refuses_a_bad_view(fake_slack: FakeSlack, view: dict[str, Any]) -> None:
    client = _slack_client(fake_slack)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_open(trigger_id=fake_slack.issue_trigger(), view=view)
    assert fake_slack.opened_views == []


async def test_permalinks_name_the_channel_and_the_thread_of_a_reply(
    fake_slack: FakeSlack,
) -> None:
    client = _slack_client(fake_slack)
    reply = await client.chat_postMessage(channel="C1", thread_ts="1700000000.000100", text="r")
    top = await client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    threaded = await client.chat_getPermalink(channel="C1", message_ts=reply["ts"])
    assert top["permalink"] == "https://test.slack.com/archives/C1/p1700000000000100"
    assert threaded["permalink"] == (
        f"https://test.slack.com/archives/C1/p{reply['ts'].replace('.', '')}"
        "?thread_ts=1700000000.000100&cid=C1"
    )
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_getPermalink(channel="C1", message_ts="")
