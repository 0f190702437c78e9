"""App Home: the Home tab (docs insights for listed viewers, a short note for everyone
else) and the Messages tab (the assistant pane's suggested prompts, ``handlers.assistant``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.errors import GitBookError
from bot.insights import blocks as insights_blocks
from bot.insights.access import InsightsAccess
from bot.insights.query import DEFAULT_SPAN
from bot.insights.service import InsightsService
from handlers import assistant
from handlers.user_messages import ignore

EVENT = "app_home_opened"


async def is_home_tab(event: dict[str, Any]) -> bool:
    """The Home tab was opened (the event also fires for the Messages tab)."""
    return event.get("tab") == "home"


async def is_messages_tab(event: dict[str, Any]) -> bool:
    """The Messages tab (the assistant pane in the agent experience) was opened."""
    return event.get("tab") == "messages"


async def home_view(
    access: InsightsAccess, insights: InsightsService, command: str, user: str
) -> View:
    """The user's own Home view: figures for viewers, how to ask for everyone else."""
    if not await access.allows(user):
        return insights_blocks.not_available_view(command)
    try:
        return insights_blocks.home_view(await insights.report(DEFAULT_SPAN), command)
    except GitBookError as exc:
        return insights_blocks.home_failure_view(exc)


async def on_home_opened(
    access: InsightsAccess,
    insights: InsightsService,
    client: AsyncWebClient,
    command: str,
    event: dict[str, Any],
) -> None:
    """Publish the view: views.publish shows it to this user only, so figures stay theirs."""
    user = str(event["user"])
    await client.views_publish(user_id=user, view=await home_view(access, insights, command, user))


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish each user's own Home view when they open the tab."""
    command = deps.settings.slash_command
    listener = partial(on_home_opened, deps.access, deps.insights, deps.slack, command)
    app.event(EVENT, matchers=[is_home_tab])(listener)
    messages_tab = partial(assistant.on_messages_tab, deps.prompts, deps.store, deps.slack)
    app.event(EVENT, matchers=[is_messages_tab])(messages_tab)
    app.event(EVENT)(ignore)  # any other tab: nothing to show
