"""Entry point: `python -m bot` serves Slack; `python -m bot ask "…"` asks from a terminal."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from bot import __version__, cli
from bot.errors import ConfigError, StartupError
from bot.logs import configure_logging
from bot.settings import Settings, environment

USAGE = """\
usage: python -m bot                  serve Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN)
       python -m bot ask "question"   ask the docs from a terminal
       python -m bot --help | --version

Settings come from the environment and from a .env file in the working directory
(variables already set win). See README.md, Configuration."""

DOTENV = Path(".env")


def with_dotenv(environ: Mapping[str, str], path: Path = DOTENV) -> dict[str, str]:
    """The environment over the variables of a .env file (python-dotenv's quoting).

    Values are taken literally: no `${VAR}` expansion, so a secret holding `$` survives.
    """
    values = dotenv_values(path, interpolate=False)
    return {**{k: v for k, v in values.items() if v is not None}, **environ}


def main(argv: list[str]) -> int:
    """Run the service or the CLI; return the exit code."""
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if argv[:1] == ["--version"]:
        print(f"gitbook-docs-bot {__version__}")
        return 0
    try:
        environ = with_dotenv(environment())
    except (OSError, ValueError) as exc:  # unreadable, or not UTF-8
        print(f"start-up error: cannot read {DOTENV}: {exc}", file=sys.stderr)
        return 1
    if argv[:1] == ["ask"]:
        return cli.run(argv[1:], environ)
    if argv:
        print(USAGE, file=sys.stderr)
        return cli.EXIT_USAGE
    return _serve(environ)


def _serve(environ: Mapping[str, str]) -> int:
    try:
        settings = Settings.from_env(environ)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, log_format=settings.log_format)
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
