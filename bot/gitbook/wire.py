"""GitBook's wire formats as the bot reads and writes them: site spaces, pages, visitor
sessions, the Ask body and its answer snapshots (names and shapes from GitBook's OpenAPI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import AskFormatError
from bot.models import AnswerSnapshot, PageSource, RecordSource, SiteSpace, Source

GOAL_LIMIT = 1024  # AgentGoal maxLength


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


def site_space(item: dict[str, Any]) -> SiteSpace:
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


def page_info(data: dict[str, Any]) -> PageInfo:
    return PageInfo(title=str(data.get("title") or "Untitled"), path=str(data.get("path") or ""))
