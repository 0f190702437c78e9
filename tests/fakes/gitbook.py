"""A protocol-level fake of the GitBook API (aiohttp server on 127.0.0.1, random port).

Usage::

    async with FakeGitBook() as gb:             # gb.url == "http://127.0.0.1:<port>/v1"
        gb.script_ask([Snapshot("Hi"), Snapshot("Hi there"), DoneEvent()])
        ...                                      # point the bot's GITBOOK_API_URL at gb.url
        await gb.wait_until(lambda: len(gb.insight_events) == 1)

Ask streams are scripted with steps (`Snapshot`, `Delay`, `WaitFor`, `DoneEvent`, `DoneData`,
`Close`, `ErrorEvent`, `Cut`, `Hang`, `HttpError`, `Raw`, `KeepAlive`, `Drip`); the wire format
follows docs/gitbook.md §4-5.
Request bodies are validated against tests/gitbook-openapi.json; refusals land in `schema_errors`.

Insights aggregation (`POST .../insights/events/aggregate`) is computed from the insights events
the bot sent plus events seeded with `seed_events` (see tests/fakes/aggregate.py), or served from
`script_aggregate`; every answer is validated against `SiteInsightsQueryEventsAggregationResult`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import jsonschema
from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.aggregate import aggregate
from tests.fakes.openapi import explain, validate_request_body, validate_schema
from tests.support import serve_locally, wait_until

__all__ = [
    "AGGREGATE_PATH",
    "ASK_PATH",
    "COMMENTS_PATH",
    "DEFAULT_PAGE_ID",
    "DEFAULT_REVISION_ID",
    "DEFAULT_SPACE_ID",
    "EVENTS_PATH",
    "AskRequest",
    "Close",
    "CommentRequest",
    "Cut",
    "Delay",
    "DoneData",
    "DoneEvent",
    "Drip",
    "ErrorEvent",
    "FakeGitBook",
    "Hang",
    "HttpError",
    "KeepAlive",
    "Raw",
    "SchemaError",
    "Snapshot",
    "Step",
    "WaitFor",
    "ask_question_event",
    "default_script",
    "page_source",
    "record_source",
    "wait_until",
]

ASK_PATH = "/orgs/{organizationId}/sites/{siteId}/ask"
EVENTS_PATH = "/orgs/{organizationId}/sites/{siteId}/insights/events"
AGGREGATE_PATH = "/orgs/{organizationId}/sites/{siteId}/insights/events/aggregate"
AGGREGATE_RESULT = "SiteInsightsQueryEventsAggregationResult"
COMMENTS_PATH = "/spaces/{spaceId}/comments"
DEFAULT_SPACE_ID = "space_1"
DEFAULT_REVISION_ID = "rev_1"
DEFAULT_PAGE_ID = "page_1"

JSON = dict[str, Any]


# --- script steps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One `data:` chunk: the full answer so far (replace, never append)."""

    markdown: str | None
    sources: list[JSON] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    document: JSON | None = None
    event: str | None = None  # an `event:` name (GitBook's own client reads any name)

    def to_sse(self) -> str:
        answer: JSON = {}
        if self.document is not None:
            answer = {"document": self.document}
        elif self.markdown is not None:
            answer = {"markdown": self.markdown}
        chunk = {
            "type": "answer",
            "answer": {
                "answer": answer,
                "followupQuestions": list(self.followups),
                "sources": list(self.sources),
            },
        }
        named = f"event: {self.event}\n" if self.event is not None else ""
        return f"{named}data: {_compact(chunk)}\n\n"


@dataclass(frozen=True)
class KeepAlive:
    """Send only `: keep-alive` comments, every `interval` seconds, until the server closes."""

    interval: float


@dataclass(frozen=True)
class Drip:
    """Send a snapshot one word longer every `interval` seconds, until the server closes."""

    interval: float
    word: str = "more"


@dataclass(frozen=True)
class Delay:
    """Send nothing for `seconds` (cut short when the server closes)."""

    seconds: float


@dataclass(frozen=True)
class WaitFor:
    """Hold the stream until the test sets `event` (set automatically when the server closes)."""

    event: asyncio.Event


@dataclass(frozen=True)
class DoneEvent:
    """`event: done` / `data: done`: the current terminator."""


@dataclass(frozen=True)
class DoneData:
    """`data: done` without an event name: the older terminator."""


@dataclass(frozen=True)
class Close:
    """End the response cleanly without any terminator."""


@dataclass(frozen=True)
class ErrorEvent:
    """`event: error` with `{"error": {"message": ...}}`."""

    message: str


@dataclass(frozen=True)
class Cut:
    """Close the TCP connection mid-stream: the client sees an incomplete chunked body."""


@dataclass(frozen=True)
class Hang:
    """Stop sending until the server closes: the client must time out."""


@dataclass(frozen=True)
class HttpError:
    """Refuse before streaming: `status` with `{"error": {"code": status, "message": ...}}`.

    Only valid as the first step of a script.
    """

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Raw:
    """Write `text` as is (comment lines, garbage, events without a blank line, ...)."""

    text: str


Step = (
    Snapshot
    | Delay
    | WaitFor
    | DoneEvent
    | DoneData
    | Close
    | ErrorEvent
    | Cut
    | Hang
    | HttpError
    | Raw
    | KeepAlive
    | Drip
)
_FINAL_STEPS = (Close, Cut, Hang, KeepAlive, Drip)


def page_source(
    page: str = DEFAULT_PAGE_ID,
    *,
    space: str = DEFAULT_SPACE_ID,
    revision: str = DEFAULT_REVISION_ID,
    sections: Sequence[str] = (),
    reason: str | None = None,
) -> JSON:
    """Build a `SearchAIAnswerSourcePage` (IDs only, like GitBook sends)."""
    source: JSON = {
        "type": "page",
        "page": page,
        "revision": revision,
        "space": space,
        "sections": list(sections),
    }
    if reason is not None:
        source["reason"] = reason
    return source


def record_source(title: str, url: str, *, record: str = "rec_1", site: str = "site_1") -> JSON:
    """Build a `SearchAIAnswerSourceRecord` (already has a title and URL)."""
    return {"type": "record", "record": record, "site": site, "title": title, "url": url}


def ask_question_event(
    query: str,
    at: dt.datetime,
    *,
    context: str = "site",
    visitor: str = "visitor-1",
    session: str = "session-1",
) -> JSON:
    """Build a `SiteInsightsEventAskQuestion` asked at `at` from display context `context`."""
    return {
        "type": "ask_question",
        "query": query,
        "timestamp": at.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "session": {
            "visitorId": visitor,
            "sessionId": session,
            "cookies": {},
            "userAgent": "test",
            "language": None,
            "referrer": None,
        },
        "location": {
            "url": "https://docs.example.com/",
            "displayContext": context,
            **dict.fromkeys(
                ("siteSection", "siteSpace", "siteShareKey", "space", "revision", "page")
            ),
        },
    }


def default_script() -> list[Step]:
    """Two snapshots ("Hello", "Hello world" + one page source + one follow-up), then done."""
    return [
        Snapshot("Hello"),
        Snapshot("Hello world", sources=[page_source()], followups=["What else can you do?"]),
        DoneEvent(),
    ]


# --- records ------------------------------------------------------------------------------------


@dataclass
class AskRequest:
    """One accepted Ask call."""

    body: JSON
    headers: Mapping[str, str]
    query: Mapping[str, str]

    @property
    def question(self) -> str:
        return str(self.body.get("question", ""))


@dataclass(frozen=True)
class CommentRequest:
    """One accepted comment (postCommentInSpace): the space in the path, the validated body."""

    space: str
    body: JSON

    @property
    def text(self) -> str:
        """Every text leaf of the comment's document, paragraphs on their own lines."""
        nodes = self.body["body"].get("document", {}).get("nodes", [])
        return "\n".join("".join(_leaf_texts(node)) for node in nodes)


def _leaf_texts(node: JSON) -> list[str]:
    texts = [str(leaf.get("text", "")) for leaf in node.get("leaves") or []]
    return texts + [t for child in node.get("nodes") or [] for t in _leaf_texts(child)]


@dataclass(frozen=True)
class SchemaError:
    """A request the fake refused as invalid (schema, query or timestamp)."""

    endpoint: str
    message: str
    body: object = field(repr=False)

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.message}"


@dataclass
class _PageFailure:
    status: int
    times: int | None


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"error": {"code": status, "message": message}}
    return web.json_response(body, status=status, headers=dict(headers or {}))


class _Invalid(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


# --- the fake -----------------------------------------------------------------------------------


class FakeGitBook:
    """Fake GitBook API: Ask (SSE), site spaces, pages and insights events."""

    def __init__(self, org: str = "org_1", site: str = "site_1", token: str = "gb-token") -> None:
        self.org = org
        self.site = site
        self.token = token
        self.calls: list[tuple[str, str]] = []
        self.ask_requests: list[AskRequest] = []
        self.schema_errors: list[SchemaError] = []
        self.insight_events: list[JSON] = []
        self.seeded_events: list[JSON] = []
        self.aggregate_requests: list[JSON] = []
        self.comments: list[CommentRequest] = []
        self._comments_failure: int | None = None
        self.server_errors: list[str] = []
        self.ask_in_flight = 0
        self.max_ask_in_flight = 0
        self.ask_disconnects = 0
        self.default_script: list[Step] = default_script()
        self.site_spaces_page_size = 1000
        self.insights_max_age_seconds: float | None = 300.0
        self._site_spaces: list[JSON] = []
        self._pages: dict[tuple[str, str | None, str], JSON] = {}
        self._page_failures: dict[tuple[str, str], _PageFailure] = {}
        self._insights_failure: int | None = None
        self._aggregate_script: deque[JSON | HttpError] = deque()
        self._queued: deque[list[Step]] = deque()
        self._by_question: dict[str, list[Step]] = {}
        self._held: set[asyncio.Event] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
        if exc_type is None and self.server_errors:
            raise AssertionError(f"FakeGitBook handler errors: {self.server_errors}")

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        v1 = "/v1/orgs/{org}/sites/{site}"
        app.router.add_post(f"{v1}/ask", self._ask)
        app.router.add_get(f"{v1}/site-spaces", self._list_site_spaces)
        app.router.add_post(f"{v1}/insights/events", self._insights)
        app.router.add_post(f"{v1}/insights/events/aggregate", self._aggregate)
        app.router.add_get("/v1/spaces/{space}/revisions/{revision}/page/{page}", self._page)
        app.router.add_get("/v1/spaces/{space}/content/page/{page}", self._page)
        app.router.add_post("/v1/spaces/{space}/comments", self._comment)
        self._runner, self._port = await serve_locally(app)

    async def close(self) -> None:
        """Release held streams (`Hang`, `WaitFor`) and shut the server down."""
        self._closing.set()
        for event in self._held:
            event.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def url(self) -> str:
        """API base URL, for GITBOOK_API_URL."""
        if self._port is None:
            raise RuntimeError("FakeGitBook is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    # scripting

    def holds(self, event: asyncio.Event) -> bool:
        """Whether an Ask stream has reached the `WaitFor(event)` step (all before it sent)."""
        return event in self._held

    def script_ask(self, steps: Sequence[Step], question: str | None = None) -> None:
        """Script Ask answers: per question (reusable), or queued (one per request, FIFO)."""
        script = list(steps)
        for i, step in enumerate(script):
            if isinstance(step, HttpError) and i != 0:
                raise ValueError("HttpError must be the first step")
            if isinstance(step, _FINAL_STEPS) and i != len(script) - 1:
                raise ValueError(f"{type(step).__name__} must be the last step")
        if question is None:
            self._queued.append(script)
        else:
            self._by_question[question] = script

    def add_site_space(
        self,
        space_id: str,
        published_url: str,
        site_space_id: str | None = None,
        *,
        path: str | None = None,
        default: bool | None = None,
        title: str | None = None,
    ) -> JSON:
        """Add a site space (a `SiteSpace` object) to `GET .../site-spaces`; return it."""
        n = len(self._site_spaces) + 1
        item: JSON = {
            "object": "site-space",
            "id": site_space_id or f"sitesp_{n}",
            "title": title or f"Space {n}",
            "path": path or "",
            "default": (n == 1) if default is None else default,
            "draft": False,
            "space": {"object": "space", "id": space_id, "title": title or f"Space {n}"},  # minimal
            "urls": {"published": published_url},
        }
        self._site_spaces.append(item)
        return item

    def add_page(
        self, space: str, page: str, title: str, path: str, revision: str | None = None
    ) -> JSON:
        """Make a page resolvable (`revision=None`: in any revision and the current content)."""
        item: JSON = {
            "object": "revision-page",
            "id": page,
            "title": title,
            "kind": "sheet",
            "type": "document",
            "path": path,
            "slug": path.rsplit("/", 1)[-1],
            "urls": {"app": f"https://app.gitbook.com/o/{self.org}/s/{space}/{path}"},
            "pages": [],
            "layout": {},
            "tags": [],
            "markdown": f"# {title}\n",
        }
        self._pages[(space, revision, page)] = item
        return item

    def fail_page(self, space: str, page: str, status: int = 500, times: int | None = None) -> None:
        """Make page look-ups fail with `status` (`times` requests, or always when None)."""
        self._page_failures[(space, page)] = _PageFailure(status, times)

    def fail_insights(self, status: int | None) -> None:
        """Make later insights calls fail with `status` (None: accept again)."""
        self._insights_failure = status

    def fail_comments(self, status: int | None) -> None:
        """Make later comments fail with `status` (403: no write access; None: accept again)."""
        self._comments_failure = status

    def seed_events(self, events: Sequence[JSON]) -> None:
        """Add insights events (any age; validated as `SiteInsightsEvent`) for aggregation."""
        for event in events:
            validate_schema("SiteInsightsEvent", event)
        self.seeded_events.extend(events)

    def script_aggregate(self, *answers: JSON | HttpError) -> None:
        """Queue aggregate answers (one per request) instead of computing them from events."""
        for answer in answers:
            if not isinstance(answer, HttpError):
                validate_schema(AGGREGATE_RESULT, answer)
        self._aggregate_script.extend(answers)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling deadline, part of the fakes' API
        message: str | None = None,
    ) -> None:
        """Wait (polling) until `predicate()` is true; AssertionError after `timeout` seconds."""
        await wait_until(predicate, timeout, lambda: message or self._describe())

    def _describe(self) -> str:
        calls = ", ".join(f"{m} {p}" for m, p in self.calls[-15:])
        return (
            f"GitBook calls (last 15): [{calls}]; asks in flight: {self.ask_in_flight}; "
            f"schema errors: {[str(e) for e in self.schema_errors]}"
        )

    # plumbing

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "Unauthorized")
        try:
            return await handler(request)
        except _Invalid as invalid:
            return invalid.response
        except web.HTTPException as exc:
            return _error(exc.status, exc.reason)
        except Exception as exc:
            self.server_errors.append(f"{request.method} {request.path}: {exc!r}")
            raise

    def _check_site(self, request: web.Request) -> None:
        info = request.match_info
        if (info["org"], info["site"]) != (self.org, self.site):
            raise _Invalid(_error(404, "Site not found"))

    def _reject(self, request: web.Request, message: str, body: object) -> _Invalid:
        self.schema_errors.append(SchemaError(f"{request.method} {request.path}", message, body))
        return _Invalid(_error(400, message))

    async def _json_body(self, request: web.Request, path_template: str) -> JSON:
        if request.content_type != "application/json":
            raise self._reject(request, f"Content-Type is {request.content_type!r}", None)
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise self._reject(request, f"body is not JSON: {exc}", raw) from None
        try:
            validate_request_body(path_template, "post", body)
        except jsonschema.ValidationError as exc:
            raise self._reject(request, explain(exc), body) from None
        return dict(body)

    # Ask

    async def _ask(self, request: web.Request) -> web.StreamResponse:
        self._check_site(request)
        if request.query.get("format") != "markdown":
            got = request.query.get("format")
            raise self._reject(request, f"query format={got!r}, expected 'markdown'", None)
        body = await self._json_body(request, ASK_PATH)
        headers = CIMultiDict(request.headers)
        self.ask_requests.append(AskRequest(body, headers, dict(request.query)))
        self.ask_in_flight += 1
        self.max_ask_in_flight = max(self.max_ask_in_flight, self.ask_in_flight)
        try:
            return await self._play(request, self._script_for(str(body["question"])))
        finally:
            self.ask_in_flight -= 1

    def _script_for(self, question: str) -> list[Step]:
        if question in self._by_question:
            return list(self._by_question[question])
        if self._queued:
            return self._queued.popleft()
        return list(self.default_script)

    async def _play(self, request: web.Request, steps: list[Step]) -> web.StreamResponse:
        if steps and isinstance(steps[0], HttpError):
            return _error(steps[0].status, steps[0].message, steps[0].headers)
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            for step in steps:
                if not await self._play_step(request, response, step):
                    return response
            await response.write_eof()
        except ConnectionError:
            self.ask_disconnects += 1
        return response

    async def _play_step(
        self, request: web.Request, response: web.StreamResponse, step: Step
    ) -> bool:
        """Play one step; False when the connection was cut (stop, send nothing more)."""
        text = _wire_text(step)
        if text is not None:
            await response.write(text.encode("utf-8"))
            return True
        if isinstance(step, Delay):
            try:
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            except TimeoutError:
                return True
        elif isinstance(step, WaitFor):
            self._held.add(step.event)
            if self._closing.is_set():
                step.event.set()
            await step.event.wait()
        elif isinstance(step, Hang):
            await self._closing.wait()
        elif isinstance(step, KeepAlive | Drip):
            await self._repeat(response, step)
        elif isinstance(step, Close):
            return True
        if isinstance(step, Cut) or self._closing.is_set():
            _cut(request)
            return False
        return True

    async def _repeat(self, response: web.StreamResponse, step: KeepAlive | Drip) -> None:
        """Write keep-alives or ever longer snapshots until the server closes."""
        words: list[str] = []
        while not self._closing.is_set():
            if isinstance(step, KeepAlive):
                await response.write(b": keep-alive\n\n")
            else:
                words.append(step.word)
                await response.write(Snapshot(" ".join(words)).to_sse().encode("utf-8"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), step.interval)

    # site spaces and pages

    async def _list_site_spaces(self, request: web.Request) -> web.Response:
        self._check_site(request)
        items = self._site_spaces
        if "default" in request.query:
            wanted = request.query["default"] == "true"
            items = [i for i in items if i["default"] == wanted]
        page = request.query.get("page", "offset-0")
        try:
            start = int(page.removeprefix("offset-"))
            limit = int(request.query.get("limit", "1000"))
        except ValueError:
            return _error(400, f"invalid page {page!r} or limit")
        if not 1 <= limit <= 1000:
            return _error(400, "limit must be between 1 and 1000")
        end = start + min(limit, self.site_spaces_page_size)
        body: JSON = {"items": items[start:end], "count": len(items)}
        if end < len(items):
            body["next"] = {"page": f"offset-{end}"}
        return web.json_response(body)

    async def _page(self, request: web.Request) -> web.Response:
        space, page = request.match_info["space"], request.match_info["page"]
        failure = self._page_failures.get((space, page))
        if failure is not None and failure.times != 0:
            if failure.times is not None:
                failure.times -= 1
            return _error(failure.status, "Page look-up failed")
        item = self._find_page(space, request.match_info.get("revision"), page)
        if item is None:
            return _error(404, "Page not found")
        return web.json_response(item)

    def _find_page(self, space: str, revision: str | None, page: str) -> JSON | None:
        for key in ((space, revision, page), (space, None, page)):
            if key in self._pages:
                return self._pages[key]
        if revision is None:  # current content: any revision of that page
            return next(
                (v for (s, _, p), v in self._pages.items() if (s, p) == (space, page)), None
            )
        return None

    # comments (postCommentInSpace)

    async def _comment(self, request: web.Request) -> web.Response:
        space = request.match_info["space"]
        body = await self._json_body(request, COMMENTS_PATH)
        if self._comments_failure is not None:
            return _error(self._comments_failure, "Comment refused (scripted)")
        page = body.get("page")
        if page is not None and self._find_page(space, None, str(page)) is None:
            return _error(404, "Page not found")
        self.comments.append(CommentRequest(space, body))
        comment = {
            "object": "comment",
            "id": f"comment_{len(self.comments)}",
            "body": body["body"],
            "postedAt": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "target": {"space": space, "revision": DEFAULT_REVISION_ID, "page": page},
        }
        return web.json_response(comment)

    # insights

    async def _insights(self, request: web.Request) -> web.Response:
        self._check_site(request)
        body = await self._json_body(request, EVENTS_PATH)
        for event in body["events"]:
            self._check_timestamp(request, body, event.get("timestamp"))
        if self._insights_failure is not None:
            return _error(self._insights_failure, "Insights failure (scripted)")
        self.insight_events.extend(body["events"])
        return web.Response(status=204)

    async def _aggregate(self, request: web.Request) -> web.Response:
        self._check_site(request)
        body = await self._json_body(request, AGGREGATE_PATH)
        self.aggregate_requests.append(body)
        if self._aggregate_script:
            answer = self._aggregate_script.popleft()
            if isinstance(answer, HttpError):
                return _error(answer.status, answer.message, answer.headers)
            return web.json_response(answer)
        now = dt.datetime.now(dt.UTC)
        result = aggregate([*self.seeded_events, *self.insight_events], body, now)
        validate_schema(AGGREGATE_RESULT, result)  # a failure lands in server_errors
        return web.json_response(result)

    def _check_timestamp(self, request: web.Request, body: JSON, timestamp: str | None) -> None:
        # "Must be within 5 minutes of the current time" (SiteInsightsEventBase.timestamp).
        if timestamp is None or self.insights_max_age_seconds is None:
            return
        when = dt.datetime.fromisoformat(timestamp.upper().replace("Z", "+00:00"))
        age = abs((dt.datetime.now(dt.UTC) - when).total_seconds())
        if age > self.insights_max_age_seconds:
            raise self._reject(request, f"timestamp {timestamp} is {age:.0f}s from now", body)


def _wire_text(step: Step) -> str | None:
    if isinstance(step, Snapshot):
        return step.to_sse()
    if isinstance(step, DoneEvent):
        return "event: done\ndata: done\n\n"
    if isinstance(step, DoneData):
        return "data: done\n\n"
    if isinstance(step, ErrorEvent):
        return f"event: error\ndata: {_compact({'error': {'message': step.message}})}\n\n"
    if isinstance(step, Raw):
        return step.text
    return None


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _cut(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()
