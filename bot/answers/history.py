"""Thread memory: earlier questions and answers of a conversation, passed to Ask as context.

GitBook's site Ask has no history field; its `context.goal` (at most 1,024 characters)
carries a short summary of the conversation so far, newest turns first. History is kept
for a day and capped, as versioned JSON under `docsbot:thread:…`.
"""

from __future__ import annotations

import hashlib
import json
import logging

from bot.store import Store

logger = logging.getLogger(__name__)

HISTORY_TTL_SECONDS = 24 * 3600
MAX_TURNS = 5
ANSWER_EXCERPT = 240
GOAL_LIMIT = 1024  # AgentGoal maxLength in GitBook's OpenAPI
_VERSION = 1
_PREAMBLE = "Follow-up in a conversation. Earlier turns, newest first: "


def _key(conversation: str) -> str:
    return "docsbot:thread:" + hashlib.sha256(conversation.encode()).hexdigest()[:32]


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ThreadHistory:
    """The last few question/answer turns of each conversation."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def turns(self, conversation: str) -> list[tuple[str, str]]:
        """Return the conversation's (question, answer excerpt) turns, oldest first."""
        raw = await self._store.get(_key(conversation))
        if not raw:
            return []
        try:
            data = json.loads(raw)
            if data.get("v") != _VERSION:
                return []
            return [(str(q), str(a)) for q, a in data["turns"]]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable thread history: %s", exc)
            return []

    async def goal(self, conversation: str) -> str | None:
        """Summarise earlier turns for Ask's context.goal, or None for a new conversation."""
        turns = await self.turns(conversation)
        if not turns:
            return None
        goal = _PREAMBLE
        for question, answer in reversed(turns):
            turn = f'Q: "{question}" A: "{answer}" '
            if len(goal) + len(turn) > GOAL_LIMIT:
                break
            goal += turn
        return goal.strip()

    async def remember(self, conversation: str, question: str, answer: str) -> None:
        """Add a turn, keeping only the newest few."""
        turns = await self.turns(conversation)
        turns.append((_excerpt(question, 200), _excerpt(answer, ANSWER_EXCERPT)))
        value = json.dumps({"v": _VERSION, "turns": turns[-MAX_TURNS:]})
        await self._store.set(_key(conversation), value, HISTORY_TTL_SECONDS)
