"""Who may see the docs insights: the users and user groups listed in INSIGHTS_VIEWERS.

Question texts can contain sensitive words, so nobody sees them unless listed (empty list =
nobody). Group membership comes from `usergroups.users.list` (scope `usergroups:read`) and
is cached in the store for a few minutes, shared by every surface and process.
"""

from __future__ import annotations

import json
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store

logger = logging.getLogger(__name__)

MEMBERS_TTL_SECONDS = 300


class InsightsAccess:
    """Answers "may this user see insights?"."""

    def __init__(
        self,
        slack: AsyncWebClient,
        store: Store,
        viewers: frozenset[str],
        *,
        members_ttl: float = MEMBERS_TTL_SECONDS,
    ) -> None:
        self._slack = slack
        self._store = store
        self._users = frozenset(v for v in viewers if not v.startswith("S"))
        self._groups = sorted(v for v in viewers if v.startswith("S"))
        self._ttl = members_ttl

    async def allows(self, user: str) -> bool:
        """Whether user is a listed viewer or a member of a listed user group."""
        if user in self._users:
            return True
        for group in self._groups:
            if user in await self._members(group):
                return True
        return False

    async def _members(self, group: str) -> frozenset[str]:
        key = f"docsbot:usergroup:{group}"
        cached = _decode_members(await self._store.get(key))
        if cached is not None:
            return cached
        try:
            response = await self._slack.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            # missing_scope (no usergroups:read), no_such_subteam, …: nobody in it gets in.
            logger.warning("cannot list user group %s: %s", group, exc.response.get("error"))
            return frozenset()
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("cannot list user group %s: %r", group, exc)
            return frozenset()
        users = [str(u) for u in response.get("users") or []]
        await self._store.set(key, json.dumps({"v": 1, "users": users}), self._ttl)
        return frozenset(users)


def _decode_members(raw: str | None) -> frozenset[str] | None:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("users"), list):
        return None
    return frozenset(str(u) for u in data["users"])
