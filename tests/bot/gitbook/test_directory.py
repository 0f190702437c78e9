"""SiteDirectory: GitBook ids to published URLs, looked up once and remembered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.gitbook.client import GitBookClient, make_http_client
from bot.gitbook.directory import SITE_SPACES_TTL_SECONDS, SiteDirectory
from bot.models import PageRef, PageSource, RecordSource, SourceLink
from bot.settings import GitBookSettings, Secret
from tests.fakes.gitbook import FakeGitBook
from tests.support import FakeClock


@dataclass
class Rig:
    directory: SiteDirectory
    gitbook: FakeGitBook
    clock: FakeClock

    def gets(self, suffix: str) -> int:
        return sum(1 for m, p in self.gitbook.calls if m == "GET" and p.endswith(suffix))


async def _rig(gitbook: FakeGitBook, site_id: str) -> AsyncIterator[Rig]:
    settings = GitBookSettings(
        api_token=Secret(gitbook.token),
        organization_id=gitbook.org,
        site_id=site_id,
        api_url=gitbook.url,
        timeout_seconds=2.0,
    )
    clock = FakeClock(1000.0)
    async with make_http_client(settings) as http:
        yield Rig(SiteDirectory(GitBookClient(http, settings), clock=clock), gitbook, clock)


@pytest.fixture
async def rig(fake_gitbook: FakeGitBook) -> AsyncIterator[Rig]:
    async for value in _rig(fake_gitbook, fake_gitbook.site):
        yield value


@pytest.fixture
async def broken_rig(fake_gitbook: FakeGitBook) -> AsyncIterator[Rig]:
    """A directory whose site GitBook does not know: every site-spaces call fails (404)."""
    async for value in _rig(fake_gitbook, "site_unknown"):
        yield value


async def test_site_spaces_are_cached_for_a_few_minutes(rig: Rig) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/")
    for _ in range(3):
        assert [s.space_id for s in await rig.directory.site_spaces()] == ["spc_1"]
    assert rig.gets("/site-spaces") == 1
    rig.gitbook.add_site_space("spc_2", "https://docs.example.com/api/")
    rig.clock.now += SITE_SPACES_TTL_SECONDS - 1
    assert len(await rig.directory.site_spaces()) == 1
    rig.clock.now += 1
    assert [s.space_id for s in await rig.directory.site_spaces()] == ["spc_1", "spc_2"]
    assert rig.gets("/site-spaces") == 2


async def test_failing_site_spaces_give_nothing_and_are_retried_soon(broken_rig: Rig) -> None:
    assert await broken_rig.directory.site_spaces() == []
    assert await broken_rig.directory.site_url() is None
    assert broken_rig.gets("/site-spaces") == 1  # not again on every question
    broken_rig.clock.now += 10
    assert await broken_rig.directory.site_spaces() == []
    assert broken_rig.gets("/site-spaces") == 2


@pytest.mark.parametrize(
    ("spaces", "expected"),
    [
        pytest.param(
            [
                ("spc_1", "https://docs.example.com/api/", False),
                ("spc_2", "https://docs.example.com/", True),
            ],
            "https://docs.example.com/",
            id="the-default-space",
        ),
        pytest.param(
            [("spc_1", None, True), ("spc_2", "https://docs.example.com/v2/", False)],
            "https://docs.example.com/v2/",
            id="first-published-when-default-unpublished",
        ),
        pytest.param([("spc_1", None, True)], None, id="nothing-published"),
        pytest.param([], None, id="no-spaces"),
    ],
)
async def test_site_url(
    rig: Rig, spaces: list[tuple[str, str | None, bool]], expected: str | None
) -> None:
    for space_id, url, default in spaces:
        item = rig.gitbook.add_site_space(space_id, url or "x", default=default)
        if url is None:
            item["urls"] = {}
    assert await rig.directory.site_url() == expected


async def test_sources_resolve_to_titled_published_urls(rig: Rig) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/guides")  # no trailing slash
    rig.gitbook.add_page("spc_1", "pg_1", "Set up SSO", "admin/sso setup")
    links = await rig.directory.resolve_sources(
        [
            PageSource(space="spc_1", revision="rev_1", page="pg_1"),
            RecordSource(title="Changelog", url="https://example.com/changelog"),
        ]
    )
    assert links == (
        SourceLink(
            "Set up SSO",
            "https://docs.example.com/guides/admin/sso%20setup",
            page=PageRef("spc_1", "pg_1"),
        ),
        SourceLink("Changelog", "https://example.com/changelog"),
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            PageSource(space="spc_9", revision="rev_1", page="pg_1"), id="space-not-on-site"
        ),
        pytest.param(PageSource(space="spc_1", revision="rev_1", page="pg_9"), id="page-not-found"),
    ],
)
async def test_unresolvable_page_source_is_dropped(rig: Rig, source: PageSource) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/")
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "home")
    assert await rig.directory.resolve_sources([source]) == ()


async def test_page_look_ups_are_remembered_and_failures_retried(rig: Rig) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/")
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "home")
    rig.gitbook.fail_page("spc_1", "pg_1", status=503, times=1)
    source = PageSource(space="spc_1", revision="rev_1", page="pg_1")
    assert await rig.directory.resolve_sources([source]) == ()  # GitBook failed this once
    expected = (SourceLink("Home", "https://docs.example.com/home", page=PageRef("spc_1", "pg_1")),)
    assert await rig.directory.resolve_sources([source]) == expected
    assert await rig.directory.resolve_sources([source]) == expected
    assert rig.gets("/page/pg_1") == 2  # the failure was not remembered; the success was


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("/spaces/spc_1/pages/pg_1", "https://docs.example.com/home", id="page-ref"),
        pytest.param(
            "/spaces/spc_1/pages/pg_1#install", "https://docs.example.com/home#install", id="anchor"
        ),
        pytest.param("/pages/pg_2", "https://docs.example.com/api/reference", id="bare-page-ref"),
        pytest.param("getting-started", "https://docs.example.com/getting-started", id="relative"),
        pytest.param("https://example.com/x", "https://example.com/x", id="absolute"),
        pytest.param("mailto:help@example.com", "mailto:help@example.com", id="mailto"),
        pytest.param("/spaces/spc_1/files/f_1", None, id="file-ref"),
        pytest.param("#section", None, id="bare-anchor"),
        pytest.param("/spaces/spc_1/pages/missing", None, id="unknown-page"),
        pytest.param("javascript:void", None, id="javascript"),
        pytest.param("JavaScript:void", None, id="javascript-upper"),
        pytest.param("data:text/html,hi", None, id="data"),
        pytest.param("vbscript:x", None, id="other-scheme"),
        pytest.param("https:no-host", None, id="http-without-host"),
    ],
)
async def test_link_targets(rig: Rig, target: str, expected: str | None) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/")
    rig.gitbook.add_site_space("spc_2", "https://docs.example.com/api/", default=False)
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "home")
    rig.gitbook.add_page("spc_2", "pg_2", "Reference", "reference")
    await rig.directory.resolve_links(f"See [it]({target}).", [])
    assert rig.directory.known_link(target) == expected


async def test_link_to_a_source_page_uses_the_answers_revision(rig: Rig) -> None:
    rig.gitbook.add_site_space("spc_1", "https://docs.example.com/")
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "old/home", revision="rev_old")
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "home", revision="rev_now")
    source = PageSource(space="spc_1", revision="rev_old", page="pg_1")
    await rig.directory.resolve_links("[Home](/spaces/spc_1/pages/pg_1)", [source])
    assert (
        rig.directory.known_link("/spaces/spc_1/pages/pg_1") == "https://docs.example.com/old/home"
    )
    assert rig.gets("/revisions/rev_old/page/pg_1") == 1


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("javascript:alert(document.cookie)", id="javascript"),
        pytest.param("data:text/html;base64,PHNjcmlwdD4=", id="data"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("//evil.example/no-scheme", id="scheme-relative"),
    ],
)
async def test_a_record_source_without_an_http_url_is_dropped(rig: Rig, url: str) -> None:
    sources = [RecordSource(title="Click me", url=url), RecordSource("Fine", "https://a.com/x")]
    assert await rig.directory.resolve_sources(sources) == (SourceLink("Fine", "https://a.com/x"),)


async def test_a_page_source_under_a_non_http_published_url_is_dropped(rig: Rig) -> None:
    rig.gitbook.add_site_space("spc_1", "javascript:alert(1)//")
    rig.gitbook.add_page("spc_1", "pg_1", "Home", "home")
    source = PageSource(space="spc_1", revision="rev_1", page="pg_1")
    assert await rig.directory.resolve_sources([source]) == ()
