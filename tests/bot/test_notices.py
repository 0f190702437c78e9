"""The one mapping from a failure to the asker's words."""

from __future__ import annotations

import pytest

from bot import notices
from bot.errors import (
    AskFormatError,
    AskStreamError,
    BotError,
    EmptyQuestion,
    GitBookConnectionError,
    GitBookError,
    GitBookHTTPError,
    GitBookTimeout,
    QuestionTooLong,
)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (EmptyQuestion(), "Ask me a question"),
        (QuestionTooLong(600, 512), "600 characters long"),
        (GitBookHTTPError(401, "no"), "refused the bot's credentials"),
        (GitBookHTTPError(404, "no"), "could not be found"),
        (GitBookHTTPError(429, "no"), "rate limited"),
        (GitBookHTTPError(503, "no"), "having trouble"),
        (GitBookHTTPError(418, "no"), "(HTTP 418)"),
        (AskStreamError("x"), "stopped with an error"),
        (GitBookTimeout("x"), "took too long"),
        (GitBookConnectionError("x"), "connection to the docs assistant was lost"),
        (AskFormatError("x"), "unexpected format"),
        (GitBookError("x"), "ran into a problem"),
        (BotError("x"), "Something went wrong"),
        (RuntimeError("a bug"), notices.GENERIC_ERROR),
        (None, notices.GENERIC_ERROR),
    ],
)
def test_every_failure_has_words_for_the_asker(error: BaseException | None, words: str) -> None:
    assert words in notices.for_error(error)


def test_no_failure_message_leaks_the_internal_error_text() -> None:
    assert "secret detail" not in notices.for_error(GitBookError("secret detail"))
    assert "secret detail" not in notices.for_error(RuntimeError("secret detail"))
