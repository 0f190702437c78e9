"""One module per Slack surface; ``register_all`` wires them in a visible order."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import actions, app_home, direct_message, insights_command, mention, slash_command


def register_all(app: AsyncApp, deps: Deps) -> None:
    """Register every surface's listeners on app."""
    mention.register(app, deps)
    direct_message.register(app, deps)
    insights_command.register(app, deps)  # before slash_command: Bolt runs the first match
    slash_command.register(app, deps)
    actions.register(app, deps)
    app_home.register(app, deps)
