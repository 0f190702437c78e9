"""Entry point: `python -m bot` serves Slack; `python -m bot ask "…"` asks from a terminal."""

from __future__ import annotations

import asyncio
import sys

from bot import cli
from bot.errors import ConfigError, StartupError
from bot.logs import configure_logging
from bot.settings import Settings, environment

USAGE = 'usage: python -m bot            serve Slack\n       python -m bot ask "question"'


def main(argv: list[str]) -> int:
    """Run the service or the CLI; return the exit code."""
    if argv[:1] == ["ask"]:
        return cli.run(argv[1:], environment())
    if argv:
        print(USAGE, file=sys.stderr)
        return cli.EXIT_USAGE
    try:
        settings = Settings.from_env(environment())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level)
    from bot.service import serve  # the service's imports are heavy; `ask` does not need them

    try:
        asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"start-up error: {exc}", file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """The `docsbot` console script: the same as `python -m bot`."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    entry()
