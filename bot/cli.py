"""`python -m bot ask "question"`: ask GitBook from a terminal, streaming the answer."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from contextlib import aclosing
from typing import TextIO

from bot import notices
from bot.answers.service import checked_question
from bot.errors import ConfigError, GitBookError, QuestionError
from bot.gitbook.client import GitBookClient, make_http_client
from bot.gitbook.directory import SiteDirectory
from bot.logs import LOG_FORMATS, configure_logging
from bot.models import AnswerSnapshot
from bot.settings import GitBookSettings

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot ask", description="Ask the GitBook docs a question."
    )
    parser.add_argument("question", nargs="+", help="the question (quote it or not)")
    return parser


def run(argv: Sequence[str], environ: Mapping[str, str], out: TextIO = sys.stdout) -> int:
    """Run the ask command; return the process exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    try:
        settings = GitBookSettings.from_env(environ)
        question = checked_question(" ".join(args.question))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_ERROR)
    except QuestionError as exc:
        return _fail(notices.for_error(exc), EXIT_USAGE)
    level = environ.get("LOG_LEVEL", "WARNING").upper()
    log_format = environ.get("LOG_FORMAT", "text").strip().lower()
    configure_logging(
        level if level in logging.getLevelNamesMapping() else "WARNING",
        log_format=log_format if log_format in LOG_FORMATS else "text",
    )
    try:
        asyncio.run(_ask(settings, question, out))
    except GitBookError as exc:
        return _fail(f"{notices.for_error(exc)} ({exc})", EXIT_ERROR)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


async def _ask(settings: GitBookSettings, question: str, out: TextIO) -> None:
    async with make_http_client(settings) as http:
        gitbook = GitBookClient(http, settings)
        last = await _stream(gitbook, question, out)
        if not (last and last.markdown):
            out.write(notices.NO_ANSWER_CLI + "\n")
        sources = await SiteDirectory(gitbook).resolve_sources(last.sources if last else ())
        if sources:
            out.write("\nSources:\n" + "".join(f"- {s.title}: {s.url}\n" for s in sources))
        out.flush()


async def _stream(gitbook: GitBookClient, question: str, out: TextIO) -> AnswerSnapshot | None:
    printed, last = "", None
    async with aclosing(gitbook.ask(question)) as snapshots:
        async for last in snapshots:
            text = last.markdown or ""
            # Snapshots are whole answers so far; print only what extends what is shown.
            if text.startswith(printed) and len(text) > len(printed):
                out.write(text[len(printed) :])
                out.flush()
                printed = text
    final = (last.markdown or "") if last else ""
    if final and final != printed:
        # GitBook rewrote earlier text: a terminal cannot unprint, so show the final answer whole.
        out.write(("\n\n(revised answer)\n" if printed else "") + final)
        printed = final
    if printed:
        out.write("\n")
    return last
