"""Turning GitBook's ids into published URLs: answer sources and links inside answers.

Look-ups are cached in memory: site spaces for a few minutes, pages by revision for
good (a revision is immutable). A failed look-up drops that source or link, never the
answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import quote, urljoin

from bot.errors import GitBookError
from bot.gitbook.client import GitBookClient
from bot.gitbook.wire import PageInfo
from bot.markdown import SCHEME_RE, is_safe_url
from bot.models import PageRef, PageSource, RecordSource, SiteSpace, Source, SourceLink

logger = logging.getLogger(__name__)

MAX_SOURCES = 5
SITE_SPACES_TTL_SECONDS = 300.0
_PAGE_REF = re.compile(r"^/spaces/(?P<space>[^/#?]+)/pages/(?P<page>[^/#?]+)(?P<anchor>#.*)?$")
_BARE_PAGE_REF = re.compile(r"^/pages/(?P<page>[^/#?]+)(?P<anchor>#.*)?$")
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


class _Lru:
    """A small bounded mapping; the oldest entry goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[object, PageInfo | None] = OrderedDict()

    def get(self, key: object) -> tuple[bool, PageInfo | None]:
        if key not in self._data:
            return False, None
        self._data.move_to_end(key)
        return True, self._data[key]

    def put(self, key: object, value: PageInfo | None) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._size:
            self._data.popitem(last=False)


class SiteDirectory:
    """Published URLs and titles of the site's pages, looked up once and remembered."""

    def __init__(self, gitbook: GitBookClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._gitbook = gitbook
        self._clock = clock
        self._spaces: list[SiteSpace] = []
        self._spaces_until = 0.0
        self._spaces_lock = asyncio.Lock()
        self._pages = _Lru(5000)
        self._links: dict[str, str | None] = {}

    async def site_spaces(self) -> list[SiteSpace]:
        """Return the site's spaces (cached for a few minutes; [] when GitBook fails)."""
        async with self._spaces_lock:
            if self._clock() >= self._spaces_until:
                await self._refresh_spaces()
        return self._spaces

    async def _refresh_spaces(self) -> None:
        try:
            self._spaces = await self._gitbook.site_spaces()
        except GitBookError as exc:
            logger.warning("could not list site spaces: %s", exc)
            self._spaces_until = self._clock() + 10.0  # retry soon, not on every question
            return
        self._spaces_until = self._clock() + SITE_SPACES_TTL_SECONDS

    async def site_url(self) -> str | None:
        """Return the published URL of the site's default space."""
        spaces = [s for s in await self.site_spaces() if s.published_url]
        default = next((s for s in spaces if s.default), spaces[0] if spaces else None)
        return default.published_url if default else None

    async def _space_url(self, space_id: str) -> str | None:
        for space in await self.site_spaces():
            if space.space_id == space_id and space.published_url:
                return space.published_url
        return None

    async def _page(
        self, key: tuple[str, ...], lookup: Callable[[], Awaitable[PageInfo]]
    ) -> PageInfo | None:
        found, cached = self._pages.get(key)
        if found:
            return cached
        try:
            info = await lookup()
        except GitBookError as exc:
            logger.warning("page look-up failed for %s: %s", "/".join(key), exc)
            return None
        self._pages.put(key, info)
        return info

    async def page_in_revision(self, source: PageSource) -> PageInfo | None:
        """Return title and path of the page a source names, or None."""
        key = (source.space, source.revision, source.page)
        return await self._page(key, lambda: self._gitbook.page(source))

    async def current_page(self, space_id: str, page_id: str) -> PageInfo | None:
        """Return title and path of a page in its space's current revision, or None."""
        key = (space_id, "current", page_id)
        return await self._page(key, lambda: self._gitbook.current_page(space_id, page_id))

    async def resolve_sources(self, sources: Iterable[Source]) -> tuple[SourceLink, ...]:
        """Resolve up to five distinct sources to titled links, dropping any that fail."""
        unique = list(dict.fromkeys(sources))[: MAX_SOURCES * 2]
        links = await asyncio.gather(*(self._resolve_source(s) for s in unique))
        distinct: dict[str, SourceLink] = {}  # by URL: one page cited from two revisions
        for link in links:
            if link is not None:
                distinct.setdefault(link.url, link)
        return tuple(distinct.values())[:MAX_SOURCES]

    async def _resolve_source(self, source: Source) -> SourceLink | None:
        link = await self._source_link(source)
        if link is not None and not is_safe_url(link.url):
            logger.warning("dropping a source whose URL is not http(s)")
            return None
        return link

    async def _source_link(self, source: Source) -> SourceLink | None:
        if isinstance(source, RecordSource):
            return SourceLink(title=source.title, url=source.url)
        base = await self._space_url(source.space)
        page = await self.page_in_revision(source)
        if base is None or page is None:
            return None
        ref = PageRef(space=source.space, page=source.page)
        return SourceLink(title=page.title, url=_join(base, page.path), page=ref)

    def known_link(self, target: str) -> str | None:
        """Return the published URL for a link target already resolved, else None."""
        return self._links.get(target)

    async def resolve_links(self, markdown: str, sources: Iterable[Source]) -> None:
        """Resolve every relative or GitBook-ref link target in markdown, for known_link."""
        targets = {t for t in _LINK_TARGET.findall(markdown) if t not in self._links}
        pages = [s for s in sources if isinstance(s, PageSource)]
        for target in targets:
            self._links[target] = await self._resolve_target(target, pages)
        if len(self._links) > 5000:
            self._links.clear()

    async def _resolve_target(self, target: str, pages: list[PageSource]) -> str | None:
        url = await self._target_url(target, pages)
        return url if url is not None and is_safe_url(url) else None

    async def _target_url(self, target: str, pages: list[PageSource]) -> str | None:
        if SCHEME_RE.match(target):
            # Absolute already; urljoin would pass javascript: or data: through untouched.
            return target
        if match := _PAGE_REF.match(target):
            return await self._page_url(match["space"], match["page"], match["anchor"], pages)
        if match := _BARE_PAGE_REF.match(target):
            return await self._bare_page_url(match["page"], match["anchor"], pages)
        if target.startswith(("/", "#")):
            return None  # other GitBook refs (files, users, collections) have no public page
        site = await self.site_url()
        return urljoin(site, target) if site else None

    async def _page_url(
        self, space: str, page_id: str, anchor: str | None, pages: list[PageSource]
    ) -> str | None:
        base = await self._space_url(space)
        source = next((p for p in pages if p.space == space and p.page == page_id), None)
        info = await (
            self.page_in_revision(source) if source else self.current_page(space, page_id)
        )
        if base is None or info is None:
            return None
        return _join(base, info.path) + (anchor or "")

    async def _bare_page_url(
        self, page_id: str, anchor: str | None, pages: list[PageSource]
    ) -> str | None:
        spaces = [p.space for p in pages if p.page == page_id]
        spaces += [s.space_id for s in await self.site_spaces()][:MAX_SOURCES]
        for space in dict.fromkeys(spaces):
            url = await self._page_url(space, page_id, anchor, pages)
            if url is not None:
                return url
        return None


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + quote(path.lstrip("/"), safe="/#-._~%")
