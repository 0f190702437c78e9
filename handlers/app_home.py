"""The App Home tab: the docs insights for listed viewers, a short note for everyone else."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View

from bot.deps import Deps
from bot.errors import GitBookError
from bot.insights import blocks as insights_blocks
from bot.insights.access import InsightsAccess
from bot.insights.gaps import DocGaps
from bot.insights.query import DEFAULT_SPAN
from bot.insights.service import InsightsService

EVENT = "app_home_opened"


async def is_home_tab(event: dict[str, Any]) -> bool:
    """The Home tab was opened (the event also fires for the Messages tab)."""
    return event.get("tab") == "home"


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish each user's own Home view when they open the tab."""
    command = deps.settings.slash_command
    access = InsightsAccess(deps.slack, deps.store, deps.settings.insights_viewers)
    insights = InsightsService(deps.gitbook, DocGaps(deps.store))

    async def view_for(user: str) -> View:
        if not await access.allows(user):
            return insights_blocks.not_available_view(command)
        try:
            return insights_blocks.home_view(await insights.report(DEFAULT_SPAN), command)
        except GitBookError as exc:
            return insights_blocks.home_failure_view(exc)

    async def on_home_opened(event: dict[str, Any]) -> None:
        user = str(event["user"])
        # views.publish shows this view to this user only: a viewer's figures stay theirs.
        await deps.slack.views_publish(user_id=user, view=await view_for(user))

    async def ignore_messages_tab(event: dict[str, Any]) -> None:
        """Opening the Messages tab: nothing to publish."""

    app.event(EVENT, matchers=[is_home_tab])(on_home_opened)
    app.event(EVENT)(ignore_messages_tab)
