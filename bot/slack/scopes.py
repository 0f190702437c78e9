"""Channel scopes: which site spaces a channel's questions are limited to.

Set by the docs team with `/docs scope`, kept in the store per workspace and channel with
no expiry (it is configuration, not a cache), as versioned JSON:
``{"v": 1, "site_spaces": ["sitesp_…", …]}``. No entry means the whole site.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from bot.store import Store

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


class ChannelScopes:
    """The site-space ids each channel's questions are limited to (() = the whole site)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, workspace: str, channel: str) -> tuple[str, ...]:
        """Return the channel's site spaces; () when it has no scope (or it is unreadable)."""
        raw = await self._store.get(_key(workspace, channel))
        if raw is None:
            return ()
        try:
            data = json.loads(raw)
            if data.get("v") != FORMAT_VERSION:
                return ()
            return tuple(str(space) for space in data["site_spaces"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("ignoring an unreadable channel scope: %s", exc)
            return ()

    async def set(self, workspace: str, channel: str, site_spaces: Iterable[str]) -> None:
        """Limit the channel to site_spaces; an empty list clears the scope."""
        spaces = list(dict.fromkeys(site_spaces))
        value = json.dumps({"v": FORMAT_VERSION, "site_spaces": spaces})
        # Clearing stores an empty scope rather than deleting: the store has no delete.
        await self._store.set(_key(workspace, channel), value, None)


def _key(workspace: str, channel: str) -> str:
    return f"docsbot:scope:{workspace}:{channel}"
