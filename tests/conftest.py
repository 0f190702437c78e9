"""Shared fixtures: a clean environment, real Redis, and the GitBook and Slack fakes."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as redis

from bot.store import MemoryStore, RedisStore, Store
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.redis_server import RedisServer, redis_server_path
from tests.fakes.slack_api import FakeSlack

# Captured before `clean_environ` removes it: a Redis the developer or CI provides.
_ENV_REDIS_URL = os.environ.get("REDIS_URL")

_CLEARED_PREFIXES = ("SLACK_", "GITBOOK_")
_CLEARED_NAMES = {
    "REDIS_URL",
    "CACHE_TTL_SECONDS",
    "SLASH_COMMAND",
    "INSIGHTS_HASH_KEY",
    "INSIGHTS_VIEWERS",
    "INSIGHTS_DIGEST_CHANNEL",
    "ESCALATION_CHANNEL",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the bot's variables and proxies, so no test depends on the caller's shell."""
    for name in list(os.environ):
        if name in _CLEARED_NAMES or name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name, raising=False)


def _skip_or_fail_without_redis(missing: str = "no redis-server on PATH and no REDIS_URL") -> None:
    if os.environ.get("REQUIRE_REDIS") == "1":
        pytest.fail(f"REQUIRE_REDIS=1 but {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for the session: `REDIS_URL` if set (use a key prefix there, never flush), else a
    private redis-server on a free port.
    """
    if _ENV_REDIS_URL:
        yield _ENV_REDIS_URL
        return
    if redis_server_path() is None:
        _skip_or_fail_without_redis()
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def redis_key_prefix() -> str:
    """A unique key prefix, so tests sharing `redis_url` never see each other's keys."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server for this test only (it may stop and restart it)."""
    if redis_server_path() is None:
        _skip_or_fail_without_redis("no redis-server on PATH")
    with RedisServer() as server:
        yield server


@pytest.fixture
async def fake_gitbook() -> AsyncIterator[FakeGitBook]:
    async with FakeGitBook(org="org_1", site="site_1", token="gb-token") as gitbook:
        yield gitbook


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture(params=[pytest.param("memory", id="memory"), pytest.param("redis", id="redis")])
async def store(request: pytest.FixtureRequest, redis_key_prefix: str) -> AsyncIterator[Store]:
    """Each store backend in turn: the in-process one, then real Redis (own key prefix)."""
    if request.param == "memory":
        yield MemoryStore()
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisStore(client, prefix=redis_key_prefix)
    finally:
        await client.aclose()
