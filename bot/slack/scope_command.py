"""`/docs scope` behind the handler: who may use it, where scopes live, the site's spaces.

Shows a channel's scope with the picker, and changes it from site-space titles or ids
(comma separated; `all` clears it). The site's spaces come from any ``SpaceList`` (the GitBook
site directory, wired in bot/deps.py), so this module needs nothing of GitBook's client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import notices
from bot.insights.access import InsightsAccess
from bot.models import SiteSpace
from bot.slack import blocks
from bot.slack.blocks import SlackMessage
from bot.slack.scope_blocks import scope_message, space_title
from bot.slack.scopes import ChannelScopes

CLEAR_WORDS = frozenset({"all", "none", "default"})


class SpaceList(Protocol):
    """Where the site's spaces come from."""

    async def site_spaces(self) -> list[SiteSpace]:
        """The site's spaces ([] when they cannot be listed now)."""
        ...


@dataclass(frozen=True, slots=True)
class ScopeCommand:
    """What `/docs scope` needs: who may use it, where scopes live, the site's spaces."""

    access: InsightsAccess
    scopes: ChannelScopes
    directory: SpaceList
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
