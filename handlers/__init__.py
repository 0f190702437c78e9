"""One module per Slack surface; ``register_all`` wires them in a visible order."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import actions, direct_message, mention, slash_command


def register_all(app: AsyncApp, deps: Deps) -> None:
    """Register every surface's listeners on app."""
    mention.register(app, deps)
    direct_message.register(app, deps)
    slash_command.register(app, deps)
    actions.register(app, deps)
