"""`/docs scope`: which of the site's spaces a channel's questions search (docs team only).

`/docs scope` shows the channel's scope privately, with the site's spaces and a picker;
`/docs scope <title or id>[, …]` limits the channel to those site spaces; `/docs scope all`
clears it. Registered on the slash command in front of questions, with a matcher: only text
starting with the word `scope` reaches it. Everyone outside ``INSIGHTS_VIEWERS`` gets a
polite refusal, and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import notices
from bot.deps import Deps
from bot.errors import SlackDeliveryError
from bot.gitbook.directory import SiteDirectory
from bot.insights.access import InsightsAccess
from bot.models import SiteSpace
from bot.slack import blocks
from bot.slack.blocks import SlackMessage
from bot.slack.scope_blocks import SCOPE_PICK_ACTION, scope_message, space_title
from bot.slack.scopes import ChannelScopes

SUBCOMMAND = re.compile(r"^\s*scope(?:\s+(?P<spaces>.*))?$", re.IGNORECASE | re.DOTALL)
CLEAR_WORDS = frozenset({"all", "none", "default"})


async def is_scope_request(command: dict[str, Any]) -> bool:
    """`scope`, alone or followed by site spaces (or `all`)."""
    return SUBCOMMAND.match(str(command.get("text") or "")) is not None


@dataclass(frozen=True, slots=True)
class ScopeCommand:
    """What `/docs scope` needs: who may use it, where scopes live, the site's spaces."""

    access: InsightsAccess
    scopes: ChannelScopes
    directory: SiteDirectory
    command: str

    async def view(self, team: str, channel: str) -> SlackMessage:
        """The channel's scope with the picker."""
        spaces = await self.directory.site_spaces()
        if not spaces:
            return blocks.notice(notices.SCOPE_NO_SPACES)
        return scope_message(spaces, await self.scopes.get(team, channel), self.command)

    async def change(self, team: str, channel: str, text: str) -> SlackMessage:
        """Set the scope named in text (titles or ids, comma separated; `all` clears it)."""
        spaces = await self.directory.site_spaces()
        if not spaces:
            return blocks.notice(notices.SCOPE_NO_SPACES)
        names = [n.strip() for n in text.split(",") if n.strip()]
        if len(names) == 1 and names[0].casefold() in CLEAR_WORDS:
            return await self.apply(team, channel, [], spaces)
        found = [_find(spaces, name) for name in names]
        unknown = [name for name, space in zip(names, found, strict=True) if space is None]
        if unknown:
            valid = [space_title(s) for s in spaces]
            return blocks.notice(notices.scope_unknown(unknown, valid))
        return await self.apply(team, channel, [s.id for s in found if s is not None], spaces)

    async def apply(
        self, team: str, channel: str, ids: list[str], spaces: Sequence[SiteSpace]
    ) -> SlackMessage:
        """Store the scope and say what the channel now searches."""
        await self.scopes.set(team, channel, ids)
        titles = [space_title(s) for i in ids for s in spaces if s.id == i]
        return blocks.notice(notices.scope_set(titles))


def _find(spaces: Sequence[SiteSpace], name: str) -> SiteSpace | None:
    """The site space with that id, or else that title (case folded)."""
    by_id = next((s for s in spaces if s.id == name), None)
    folded = name.casefold()
    return by_id or next((s for s in spaces if space_title(s).casefold() == folded), None)


async def _private(respond: AsyncRespond, message: SlackMessage, *, replace: bool = False) -> None:
    response = await respond(
        **message.as_kwargs(), response_type="ephemeral", replace_original=replace
    )
    if response.status_code >= 300:  # respond() reports failures instead of raising
        raise SlackDeliveryError("response_url", f"HTTP {response.status_code}")


async def on_scope(
    scope: ScopeCommand, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
) -> None:
    """Acknowledge, then show or change the channel's scope, privately."""
    await ack()
    team, channel = str(command.get("team_id") or ""), str(command.get("channel_id") or "")
    if not await scope.access.allows(str(command["user_id"])):
        await _private(respond, blocks.notice(notices.SCOPE_REFUSAL))
        return
    match = SUBCOMMAND.match(str(command.get("text") or ""))
    text = (match.group("spaces") or "").strip() if match else ""
    reply = await (scope.change(team, channel, text) if text else scope.view(team, channel))
    await _private(respond, reply)


async def on_scope_pick(
    scope: ScopeCommand, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """The picker changed: store the chosen site spaces (none chosen: the whole site)."""
    await ack()
    user = (body.get("user") or {}).get("id")
    if not isinstance(user, str) or not await scope.access.allows(user):
        await _private(respond, blocks.notice(notices.SCOPE_REFUSAL))
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
        await _private(respond, blocks.notice(notice))
        return
    await scope.scopes.set(team, channel, chosen)
    # The picker stays, now showing what the channel searches.
    await _private(respond, await scope.view(team, channel), replace=True)


def register(app: AsyncApp, deps: Deps) -> None:
    """Answer `/docs scope` (register before the question handler of the same command)."""
    scope = ScopeCommand(deps.access, deps.scopes, deps.directory, deps.settings.slash_command)
    app.command(deps.settings.slash_command, matchers=[is_scope_request])(partial(on_scope, scope))
    app.action(SCOPE_PICK_ACTION)(partial(on_scope_pick, scope))
