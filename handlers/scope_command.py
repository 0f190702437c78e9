"""`/docs scope`: which of the site's spaces a channel's questions search (docs team only).

`/docs scope` shows the channel's scope privately, with the site's spaces and a picker;
`/docs scope <title or id>[, …]` limits the channel to those site spaces; `/docs scope all`
clears it. Registered on the slash command in front of questions, with a matcher: only text
starting with the word `scope` reaches it. Everyone outside ``INSIGHTS_VIEWERS`` gets a
polite refusal, and nothing changes.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import notices
from bot.deps import Deps
from bot.slack import blocks
from bot.slack.private import send_private
from bot.slack.scope_blocks import SCOPE_PICK_ACTION, space_title
from bot.slack.scope_command import ScopeCommand

SUBCOMMAND = re.compile(r"^\s*scope(?:\s+(?P<spaces>.*))?$", re.IGNORECASE | re.DOTALL)


async def is_scope_request(command: dict[str, Any]) -> bool:
    """`scope`, alone or followed by site spaces (or `all`)."""
    return SUBCOMMAND.match(str(command.get("text") or "")) is not None


async def on_scope(
    scope: ScopeCommand, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
) -> None:
    """Acknowledge, then show or change the channel's scope, privately."""
    await ack()
    team, channel = str(command.get("team_id") or ""), str(command.get("channel_id") or "")
    if not await scope.access.allows(str(command["user_id"])):
        await send_private(respond, blocks.notice(notices.SCOPE_REFUSAL))
        return
    match = SUBCOMMAND.match(str(command.get("text") or ""))
    text = (match.group("spaces") or "").strip() if match else ""
    reply = await (scope.change(team, channel, text) if text else scope.view(team, channel))
    await send_private(respond, reply)


async def on_scope_pick(
    scope: ScopeCommand, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """The picker changed: store the chosen site spaces (none chosen: the whole site)."""
    await ack()
    user = (body.get("user") or {}).get("id")
    if not isinstance(user, str) or not await scope.access.allows(user):
        await send_private(respond, blocks.notice(notices.SCOPE_REFUSAL))
        return
    team = str((body.get("team") or {}).get("id") or "")
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    action = (body.get("actions") or [{}])[0]
    chosen = [str(o.get("value")) for o in action.get("selected_options") or []]
    spaces = await scope.directory.site_spaces()
    unknown = [i for i in chosen if i not in {s.id for s in spaces}]
    if not spaces or unknown:  # GitBook failing, or a picker older than the site's spaces
        valid = [space_title(s) for s in spaces]
        notice = notices.scope_unknown(unknown, valid) if spaces else notices.SCOPE_NO_SPACES
        await send_private(respond, blocks.notice(notice))
        return
    await scope.scopes.set(team, channel, chosen)
    # The picker stays, now showing what the channel searches.
    await send_private(respond, await scope.view(team, channel), replace=True)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer `/docs scope` (register before the question handler of the same command)."""
    scope = deps.scope_command
    app.command(deps.settings.slash_command, matchers=[is_scope_request])(partial(on_scope, scope))
    app.action(SCOPE_PICK_ACTION)(partial(on_scope_pick, scope))
