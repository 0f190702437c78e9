"""GitBook API client: streaming Ask, look-ups for sources, insights events, comments."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Mapping
from contextlib import AsyncExitStack, aclosing
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bot import __version__
from bot.errors import (
    AskFormatError,
    GitBookConnectionError,
    GitBookHTTPError,
    GitBookTimeout,
    InsightsFormatError,
)
from bot.gitbook.ask_stream import Budget, events_of, next_snapshot
from bot.gitbook.wire import (
    PageInfo,
    VisitorSession,
    ask_body,
    page_info,
    site_space,
)
from bot.models import AnswerSnapshot, PageRef, PageSource, SiteSpace
from bot.settings import GitBookSettings

logger = logging.getLogger(__name__)

QUESTION_LIMIT = 512  # `question` maxLength in GitBook's OpenAPI (streamAskInSite)
USER_AGENT = f"gitbook-docs-bot/{__version__} (+Slack)"


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
        budget = Budget.start(self._timeout, self._deadline, started_at)
        try:
            async with AsyncExitStack() as stack:
                async with budget.waiting():
                    response = await self._open_ask(stack, body)
                events = await stack.enter_async_context(aclosing(events_of(response)))
                while (snapshot := await next_snapshot(events, budget)) is not None:
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
            spaces.extend(site_space(item) for item in data.get("items", []))
            next_page = (data.get("next") or {}).get("page")
            if not next_page:
                return spaces
            params = {"limit": "1000", "page": str(next_page)}

    async def page(self, source: PageSource) -> PageInfo:
        """Look up a page in the revision GitBook answered from."""
        path = f"spaces/{source.space}/revisions/{source.revision}/page/{source.page}"
        return page_info(await self._get_json(path, {"metadata": "false"}))

    async def current_page(self, space_id: str, page_id: str) -> PageInfo:
        """Look up a page in the space's current revision."""
        data = await self._get_json(f"spaces/{space_id}/content/page/{page_id}", {})
        return page_info(data)

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
