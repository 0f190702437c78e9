"""GitBook API client: streaming Ask, look-ups for sources, insights events, comments."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bot import __version__
from bot.errors import (
    AskFormatError,
    AskStreamError,
    GitBookConnectionError,
    GitBookHTTPError,
    GitBookTimeout,
    InsightsFormatError,
)
from bot.gitbook.sse import Event, EventDecoder
from bot.models import AnswerSnapshot, PageRef, PageSource, RecordSource, Source
from bot.settings import GitBookSettings

logger = logging.getLogger(__name__)

QUESTION_LIMIT = 512  # `question` maxLength in GitBook's OpenAPI (streamAskInSite)
GOAL_LIMIT = 1024  # AgentGoal maxLength
USER_AGENT = f"gitbook-docs-bot/{__version__} (+Slack)"


@dataclass(frozen=True, slots=True)
class SiteSpace:
    """A space published on the site, with the URL its pages live under."""

    id: str
    space_id: str
    published_url: str | None
    default: bool
    title: str = ""


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page's title and its path inside its space."""

    title: str
    path: str


@dataclass(frozen=True, slots=True)
class VisitorSession:
    """Opaque ids GitBook uses to group a visitor's questions."""

    visitor_id: str
    session_id: str


def make_http_client(settings: GitBookSettings) -> httpx.AsyncClient:
    """Open the HTTP client every GitBook call goes through."""
    return httpx.AsyncClient(
        base_url=settings.api_url + "/",
        # One limit for connect, response headers and the gap between two stream bytes; the
        # Ask stream also holds each answer chunk to it (GitBookClient.ask).
        timeout=httpx.Timeout(settings.timeout_seconds),
        headers={"Authorization": f"Bearer {settings.api_token}", "User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=500, max_keepalive_connections=50),
    )


class GitBookClient:
    """Typed calls to the GitBook API for one organization and site."""

    def __init__(self, http: httpx.AsyncClient, settings: GitBookSettings) -> None:
        self._http = http
        self._timeout = settings.timeout_seconds
        self._deadline = settings.answer_deadline_seconds
        self._site_path = f"orgs/{settings.organization_id}/sites/{settings.site_id}"

    async def ask(
        self,
        question: str,
        *,
        session: VisitorSession | None = None,
        goal: str | None = None,
        scope: tuple[str, ...] = (),
        started_at: float | None = None,
    ) -> AsyncGenerator[AnswerSnapshot, None]:
        """Stream the answer to question as full snapshots; raise a GitBookError on failure.

        Each snapshot must come within the timeout of the one before (comments and other
        events do not count), and the whole answer within the deadline, counted from
        started_at (loop time: a retry passes its first attempt's) or from this call.
        """
        body = ask_body(question, session=session, goal=goal, scope=scope)
        budget = _Budget.start(self._timeout, self._deadline, started_at)
        try:
            async with AsyncExitStack() as stack:
                async with budget.waiting():
                    response = await self._open_ask(stack, body)
                events = await stack.enter_async_context(aclosing(_events(response)))
                while (snapshot := await _next_snapshot(events, budget)) is not None:
                    yield snapshot
                    budget.restart_wait()  # the wait for the next chunk starts now
        except httpx.TimeoutException as exc:
            raise GitBookTimeout(f"no data from GitBook: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise GitBookConnectionError(f"connection to GitBook failed: {exc!r}") from exc

    async def _open_ask(self, stack: AsyncExitStack, body: dict[str, Any]) -> httpx.Response:
        """Send the Ask request; return the response once it is known to be an event stream."""
        source = await stack.enter_async_context(
            aconnect_sse(
                self._http,
                "POST",
                f"{self._site_path}/ask",
                params={"format": "markdown"},
                json=body,
            )
        )
        await _raise_for_status(source.response)
        content_type = source.response.headers.get("content-type", "").partition(";")[0]
        if content_type.strip().lower() != "text/event-stream":
            raise AskFormatError(f"not an event stream: {content_type!r}")
        return source.response

    async def site_spaces(self) -> list[SiteSpace]:
        """List the site's spaces with their published URLs (following pagination)."""
        spaces: list[SiteSpace] = []
        params: dict[str, str] = {"limit": "1000"}
        while True:
            data = await self._get_json(f"{self._site_path}/site-spaces", params)
            spaces.extend(_site_space(item) for item in data.get("items", []))
            next_page = (data.get("next") or {}).get("page")
            if not next_page:
                return spaces
            params = {"limit": "1000", "page": str(next_page)}

    async def page(self, source: PageSource) -> PageInfo:
        """Look up a page in the revision GitBook answered from."""
        path = f"spaces/{source.space}/revisions/{source.revision}/page/{source.page}"
        return _page_info(await self._get_json(path, {"metadata": "false"}))

    async def current_page(self, space_id: str, page_id: str) -> PageInfo:
        """Look up a page in the space's current revision."""
        data = await self._get_json(f"spaces/{space_id}/content/page/{page_id}", {})
        return _page_info(data)

    async def track_events(self, events: list[dict[str, Any]]) -> None:
        """Record insights events for the site (GitBook answers 204)."""
        await self._request("POST", f"{self._site_path}/insights/events", json={"events": events})

    async def aggregate_events(self, query: dict[str, Any]) -> dict[str, Any]:
        """Run an insights aggregation (aggregateSiteEvents); return its column-oriented result."""
        path = f"{self._site_path}/insights/events/aggregate"
        response = await self._request("POST", path, json=query)
        return _json_object(response, path, InsightsFormatError)

    async def post_comment(self, page: PageRef, body: dict[str, Any]) -> None:
        """Comment on a page (postCommentInSpace; the token needs write access to the space)."""
        path = f"spaces/{page.space}/comments"
        await self._request("POST", path, json={"page": page.page, "body": body})

    async def _get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        response = await self._request("GET", path, params=params)
        return _json_object(response, path, AskFormatError)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise GitBookTimeout(f"{method} {path} timed out") from exc
        except httpx.TransportError as exc:
            raise GitBookConnectionError(f"{method} {path} failed: {exc!r}") from exc
        await _raise_for_status(response)
        return response


def _json_object(
    response: httpx.Response, path: str, error: type[AskFormatError | InsightsFormatError]
) -> dict[str, Any]:
    """The response's JSON object, or error (a GitBookError, which callers already handle)."""
    try:
        data = response.json()
    except ValueError as exc:
        raise error(f"{path} did not answer JSON") from exc
    if not isinstance(data, dict):
        raise error(f"expected a JSON object from {path}")
    return data


def ask_body(
    question: str,
    *,
    session: VisitorSession | None = None,
    goal: str | None = None,
    scope: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build the Ask request body (streamAskInSite); scope: site-space ids, () for the site."""
    body: dict[str, Any] = {"question": question, "scope": ask_scope(scope)}
    if goal:
        body["context"] = {"goal": goal[:GOAL_LIMIT]}
    if session is not None:
        body["session"] = {"visitorId": session.visitor_id, "sessionId": session.session_id}
    return body


def ask_scope(site_spaces: tuple[str, ...]) -> dict[str, Any]:
    """A SiteSearchScope: the site's default content, or only the listed site spaces."""
    if not site_spaces:
        return {"mode": "default"}
    return {"mode": "specific", "siteSpaceIds": list(site_spaces)}


async def _raise_for_status(response: httpx.Response) -> None:
    if response.is_success:
        return
    await response.aread()
    raise GitBookHTTPError(
        response.status_code, _error_message(response), retry_after=_retry_after(response)
    )


def _error_message(response: httpx.Response) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase or f"HTTP {response.status_code}"
    return str(message)


def _retry_after(response: httpx.Response) -> float | None:
    # GitBook documents X-RateLimit-Reset (epoch seconds), not Retry-After; accept both.
    if "retry-after" in response.headers:
        return _float(response.headers["retry-after"])
    reset = _float(response.headers.get("x-ratelimit-reset", ""))
    return None if reset is None else max(0.0, reset - time.time())


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(slots=True)
class _Budget:
    """How long an Ask may still wait: for its next chunk, and in all (loop time)."""

    timeout: float
    wait_until: float
    deadline: float

    @classmethod
    def start(cls, timeout: float, deadline: float, started_at: float | None) -> _Budget:
        now = asyncio.get_running_loop().time()
        return cls(timeout, now + timeout, (now if started_at is None else started_at) + deadline)

    def restart_wait(self) -> None:
        self.wait_until = asyncio.get_running_loop().time() + self.timeout

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Bound one wait (never spanning a yield) by the chunk timeout and the deadline."""
        try:
            async with asyncio.timeout_at(min(self.wait_until, self.deadline)):
                yield
        except TimeoutError as exc:
            raise self._expired() from exc

    def _expired(self) -> GitBookTimeout:
        if self.wait_until < self.deadline:
            return GitBookTimeout(f"no answer chunk from GitBook in {self.timeout:g} s")
        error = GitBookTimeout("the answer was not finished by its deadline")
        error.transient = False  # the deadline is spent: a retry would outlive it
        return error


async def _events(response: httpx.Response) -> AsyncGenerator[Event, None]:
    decoder = EventDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event


async def _next_snapshot(
    events: AsyncGenerator[Event, None], budget: _Budget
) -> AnswerSnapshot | None:
    """The next snapshot of the stream, or None once it has ended."""
    async with budget.waiting():
        async for event in events:
            if _is_done(event):
                return None
            snapshot = _snapshot_from(event)
            if snapshot is not None:
                return snapshot
    return None


def _is_done(event: Event) -> bool:
    return event.name == "done" or event.data.strip() == "done"


def _snapshot_from(event: Event) -> AnswerSnapshot | None:
    """A snapshot from any event but `error`, whatever its name (as GitBook's client reads)."""
    if event.name == "error":
        raise AskStreamError(_stream_error_message(event.data))
    try:
        chunk = json.loads(event.data)
    except ValueError:
        logger.warning("skipping a non-JSON Ask event (%s)", event.name)
        return None
    if not isinstance(chunk, dict) or chunk.get("type") != "answer":
        return None
    return parse_snapshot(chunk.get("answer"))


def _stream_error_message(data: str) -> str:
    try:
        return str(json.loads(data)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return data or "unknown error"


def parse_snapshot(answer: object) -> AnswerSnapshot | None:
    """Turn one SearchAIAnswer object into a snapshot; None when it is not one."""
    if not isinstance(answer, dict):
        return None
    body = answer.get("answer")
    if isinstance(body, dict) and "document" in body and "markdown" not in body:
        raise AskFormatError("Ask returned a document tree instead of markdown")
    markdown = body.get("markdown") if isinstance(body, dict) else None
    return AnswerSnapshot(
        markdown=markdown if isinstance(markdown, str) else None,
        sources=tuple(s for s in map(_source, _list(answer.get("sources"))) if s is not None),
        followups=tuple(q for q in _list(answer.get("followupQuestions")) if isinstance(q, str)),
    )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _source(raw: object) -> Source | None:
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "page" and all(isinstance(raw.get(k), str) for k in ("space", "revision", "page")):
        return PageSource(space=raw["space"], revision=raw["revision"], page=raw["page"])
    if kind == "record" and isinstance(raw.get("url"), str):
        return RecordSource(title=str(raw.get("title") or raw["url"]), url=raw["url"])
    return None


def _site_space(item: dict[str, Any]) -> SiteSpace:
    space = item.get("space")
    space_id = space.get("id") if isinstance(space, dict) else space
    urls = item.get("urls") or {}
    return SiteSpace(
        id=str(item.get("id", "")),
        space_id=str(space_id or ""),
        published_url=urls.get("published"),
        default=bool(item.get("default")),
        title=str(item.get("title") or ""),
    )


def _page_info(data: dict[str, Any]) -> PageInfo:
    return PageInfo(title=str(data.get("title") or "Untitled"), path=str(data.get("path") or ""))
