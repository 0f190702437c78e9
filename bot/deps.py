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
from bot.insights.access import InsightsAccess
from bot.insights.digest import WeeklyDigest
from bot.insights.escalations import EscalationLog
from bot.insights.events import Insights
from bot.insights.feedback import DocsComments, FeedbackLog
from bot.insights.gaps import DocGaps
from bot.insights.prompts import SuggestedPrompts
from bot.insights.service import Clock, InsightsService, utc_now
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.client import MeteredWebClient
from bot.slack.delivery.planner import Planner, retry_handlers
from bot.slack.delivery.streamer import Streamer
from bot.slack.escalation import People
from bot.slack.feedback import NotHelpful
from bot.slack.guards import Deduplicator, UserRateLimit
from bot.slack.identity import BotIdentity
from bot.slack.recovery import LEASE_SECONDS, Journal, NoJournal, RedisJournal
from bot.slack.replies import Replies
from bot.slack.scope_command import ScopeCommand
from bot.slack.scopes import ChannelScopes
from bot.store import (
    BREAKER_COOLDOWN_SECONDS,
    CircuitBreaker,
    MemoryStore,
    RedisStore,
    ResilientStore,
    Store,
)
from bot.tasks import BackgroundTasks

SLACK_RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True, slots=True)
class Deps:
    """What handlers may use."""

    settings: Settings
    slack: AsyncWebClient
    store: Store
    replies: Replies
    dedupe: Deduplicator
    feedback: FeedbackLog
    insights: InsightsService
    access: InsightsAccess
    digest: WeeklyDigest | None
    tasks: BackgroundTasks
    metrics: Metrics
    identity: BotIdentity
    # the assistant pane, auto-answer and channel scopes (issue 17)
    prompts: SuggestedPrompts
    scopes: ChannelScopes
    scope_command: ScopeCommand
    not_helpful: NotHelpful  # 👎 → modal → reason (→ GitBook comment)
    people: People | None  # Ask a person, when ESCALATION_CHANNEL is set
    journal: Journal  # replies in flight, for hand-over after a crash (bot/slack/recovery.py)


def make_slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, *, metrics: Metrics
) -> AsyncWebClient:
    """The Web API client, counted in metrics (build_deps adds its rate-limit retry handler)."""
    return MeteredWebClient(
        token=str(settings.slack_bot_token),
        base_url=settings.slack_api_url,
        session=session,
        metrics=metrics,
    )


def make_store(
    redis_client: redis.Redis | None, *, key_prefix: str = "", breaker: CircuitBreaker | None = None
) -> Store:
    """Redis (falling back to memory while it is down), or memory alone."""
    if redis_client is None:
        return MemoryStore()
    return ResilientStore(RedisStore(redis_client, prefix=key_prefix), MemoryStore(), breaker)


def make_journal(
    redis_client: redis.Redis | None,
    breaker: CircuitBreaker,
    tasks: BackgroundTasks,
    *,
    key_prefix: str,
    lease: float,
) -> Journal:
    """The reply journal on Redis (sharing the store's breaker), or none without Redis."""
    if redis_client is None:
        return NoJournal()
    return RedisJournal(redis_client, breaker, tasks, prefix=key_prefix, lease=lease)


def build_deps(
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    slack: AsyncWebClient,
    redis_client: redis.Redis | None,
    edit_interval: float = 1.0,
    key_prefix: str = "",
    clock: Clock = utc_now,
    metrics: Metrics,
    lease: float = LEASE_SECONDS,
    redis_cooldown: float = BREAKER_COOLDOWN_SECONDS,
) -> Deps:
    """Wire the answer path: GitBook client → answer service → streamer → Slack."""
    breaker = CircuitBreaker(redis_cooldown)
    store = make_store(redis_client, key_prefix=key_prefix, breaker=breaker)
    tasks = BackgroundTasks()
    journal = make_journal(redis_client, breaker, tasks, key_prefix=key_prefix, lease=lease)
    gitbook = GitBookClient(http, settings.gitbook)
    directory = SiteDirectory(gitbook)
    archive = AnswerArchive(store)
    insights = Insights(gitbook, directory, tasks, hash_key=str(settings.insights_hash_key))
    cache = AnswerCache(store, site_id=settings.gitbook.site_id, ttl=settings.cache_ttl_seconds)
    history = ThreadHistory(store)
    gaps = DocGaps(store)
    answers = AnswerService(
        gitbook, directory, cache, archive, insights, history, tasks, gaps=gaps, metrics=metrics
    )
    planner = Planner(store)  # every Slack budget, shared with the other processes
    # 429s are waited out per Retry-After by slack-sdk, and remembered by the planner.
    slack.retry_handlers.extend(retry_handlers(planner, max_retry_count=SLACK_RATE_LIMIT_RETRIES))
    streamer = Streamer(slack, planner, edit_interval=edit_interval, mode=settings.stream_mode)
    rate_limit = UserRateLimit(store, settings.user_questions_per_minute)
    scopes = ChannelScopes(store)
    escalation_channel = settings.escalation_channel
    replies = Replies(
        answers,
        streamer,
        archive,
        rate_limit,
        per_minute=settings.user_questions_per_minute,
        metrics=metrics,
        scopes=scopes,
        gaps=gaps,
        offer_people=escalation_channel is not None,
        journal=journal,
    )
    escalations = EscalationLog(store, clock=lambda: clock().timestamp())
    report = InsightsService(
        gitbook, gaps, clock=clock, escalations=escalations if escalation_channel else None
    )
    access = InsightsAccess(slack, store, settings.insights_viewers)
    feedback = FeedbackLog(store, gaps)
    comments = DocsComments(gitbook) if settings.gitbook_feedback_comments else None
    return Deps(
        settings=settings,
        slack=slack,
        store=store,
        replies=replies,
        dedupe=Deduplicator(store),
        feedback=feedback,
        insights=report,
        access=access,
        digest=_digest(settings, report, slack, store, clock),
        tasks=tasks,
        metrics=metrics,
        identity=BotIdentity(slack, str(settings.slack_bot_token)),
        prompts=SuggestedPrompts(access, report, settings.suggested_prompts),
        scopes=scopes,
        scope_command=ScopeCommand(access, scopes, directory, settings.slash_command),
        not_helpful=NotHelpful(slack, feedback, archive, comments),
        people=(
            People(slack, archive, escalations, escalation_channel) if escalation_channel else None
        ),
        journal=journal,
    )


def _digest(
    settings: Settings, report: InsightsService, slack: AsyncWebClient, store: Store, clock: Clock
) -> WeeklyDigest | None:
    """The weekly digest for INSIGHTS_DIGEST_CHANNEL, or None when it is not set."""
    channel = settings.insights_digest_channel
    if channel is None:
        return None
    return WeeklyDigest(report, slack, store, channel, clock=clock)
