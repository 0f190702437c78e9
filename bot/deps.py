"""Explicit wiring: every long-lived object the handlers use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import httpx
import redis.asyncio as redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.cache import AnswerArchive, AnswerCache
from bot.answers.history import ThreadHistory
from bot.answers.service import AnswerService
from bot.gitbook.client import GitBookClient
from bot.gitbook.directory import SiteDirectory
from bot.insights.events import Insights
from bot.insights.feedback import FeedbackLog
from bot.insights.gaps import DocGaps
from bot.settings import Settings
from bot.slack.delivery.planner import Planner, retry_handlers
from bot.slack.delivery.streamer import Streamer
from bot.slack.guards import Deduplicator, UserRateLimit
from bot.slack.replies import Replies
from bot.store import MemoryStore, RedisStore, ResilientStore, Store
from bot.tasks import BackgroundTasks

SLACK_RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True, slots=True)
class Deps:
    """What handlers may use."""

    settings: Settings
    slack: AsyncWebClient
    store: Store
    gitbook: GitBookClient
    replies: Replies
    dedupe: Deduplicator
    feedback: FeedbackLog
    tasks: BackgroundTasks


def make_slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client (build_deps adds its rate-limit retry handler)."""
    return AsyncWebClient(
        token=str(settings.slack_bot_token), base_url=settings.slack_api_url, session=session
    )


def make_store(redis_client: redis.Redis | None, *, key_prefix: str = "") -> Store:
    """Redis (falling back to memory while it is down), or memory alone."""
    if redis_client is None:
        return MemoryStore()
    return ResilientStore(RedisStore(redis_client, prefix=key_prefix), MemoryStore())


def build_deps(
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    slack: AsyncWebClient,
    redis_client: redis.Redis | None,
    edit_interval: float = 1.0,
    key_prefix: str = "",
) -> Deps:
    """Wire the answer path: GitBook client → answer service → streamer → Slack."""
    store = make_store(redis_client, key_prefix=key_prefix)
    tasks = BackgroundTasks()
    gitbook = GitBookClient(http, settings.gitbook)
    directory = SiteDirectory(gitbook)
    archive = AnswerArchive(store)
    insights = Insights(gitbook, directory, tasks, hash_key=str(settings.insights_hash_key))
    cache = AnswerCache(store, site_id=settings.gitbook.site_id, ttl=settings.cache_ttl_seconds)
    history = ThreadHistory(store)
    answers = AnswerService(
        gitbook, directory, cache, archive, insights, history, tasks, gaps=DocGaps(store)
    )
    planner = Planner(store)  # every Slack budget, shared with the other processes
    # 429s are waited out per Retry-After by slack-sdk, and remembered by the planner.
    slack.retry_handlers.extend(retry_handlers(planner, max_retry_count=SLACK_RATE_LIMIT_RETRIES))
    streamer = Streamer(slack, planner, edit_interval=edit_interval, mode=settings.stream_mode)
    rate_limit = UserRateLimit(store, settings.user_questions_per_minute)
    replies = Replies(
        answers, streamer, archive, rate_limit, per_minute=settings.user_questions_per_minute
    )
    return Deps(
        settings, slack, store, gitbook, replies, Deduplicator(store), FeedbackLog(store), tasks
    )
