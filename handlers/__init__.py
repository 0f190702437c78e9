"""One module per Slack surface; ``register_all`` wires them in a visible order.

Each module's listeners are module-level functions that take their collaborators first, bound
with ``functools.partial`` in its ``register(app, deps)``: Bolt injects the rest by name.
"""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import (
    actions,
    app_home,
    assistant,
    auto_answer,
    direct_message,
    escalation,
    feedback,
    insights_command,
    mention,
    scope_command,
    shortcut,
    slash_command,
)
from handlers.user_messages import ignore

ANY_EVENT = re.compile(r".*")


def register_all(app: AsyncApp, deps: Deps) -> None:
    """Register every surface's listeners on app."""
    mention.register(app, deps)
    # Before direct_message, whose catch-all acknowledges every other message event.
    auto_answer.register(app, deps)
    assistant.register(app, deps)
    direct_message.register(app, deps)
    insights_command.register(app, deps)  # before slash_command: Bolt runs the first match
    scope_command.register(app, deps)  # likewise
    slash_command.register(app, deps)
    actions.register(app, deps)
    shortcut.register(app, deps)
    feedback.register(app, deps)
    escalation.register(app, deps)
    app_home.register(app, deps)
    # Last: every other event type is acknowledged with 200, so Slack neither retries it nor
    # counts it against the app's subscriptions.
    app.event(ANY_EVENT)(ignore)
