"""`/docs insights [7d|30d|3m]`: the docs team's report, privately, for listed viewers only.

Registered on the same slash command as questions, in front of them, with a matcher: only
`insights` alone or followed by a range word reaches this handler; `/docs insights about SSO?`
and everything else stays a question.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import notices
from bot.deps import Deps
from bot.errors import GitBookError
from bot.insights import blocks as insights_blocks
from bot.insights.access import InsightsAccess
from bot.insights.query import parse_span
from bot.insights.service import InsightsService
from bot.slack.blocks import SlackMessage
from bot.slack.private import send_private

SUBCOMMAND = re.compile(r"^\s*insights(?:\s+(?P<span>\d+[a-z]*))?\s*$", re.IGNORECASE)


async def is_insights_request(command: dict[str, Any]) -> bool:
    """`insights`, optionally followed by a range such as `30d` (valid or not)."""
    return SUBCOMMAND.match(str(command.get("text") or "")) is not None


async def insights_reply(
    access: InsightsAccess, insights: InsightsService, name: str, command: dict[str, Any]
) -> SlackMessage:
    """The report for a viewer, or why there is none."""
    if not await access.allows(str(command["user_id"])):
        return insights_blocks.notice(notices.INSIGHTS_REFUSAL)
    match = SUBCOMMAND.match(str(command.get("text") or ""))
    span = parse_span(match.group("span") if match else None)
    if span is None:
        return insights_blocks.notice(notices.insights_usage(name))
    try:
        return insights_blocks.report_message(await insights.report(span))
    except GitBookError as exc:
        return insights_blocks.notice(insights_blocks.failure_text(exc))


async def on_insights(
    access: InsightsAccess,
    insights: InsightsService,
    name: str,
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
) -> None:
    """Acknowledge, then reply privately: question texts never go to the channel."""
    await ack()
    message = await insights_reply(access, insights, name, command)
    await send_private(respond, message)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer `/docs insights` (register before the question handler of the same command)."""
    name = deps.settings.slash_command
    listener = partial(on_insights, deps.access, deps.insights, name)
    app.command(name, matchers=[is_insights_request])(listener)
