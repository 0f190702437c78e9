"""The bot's errors, in one small tree.

    BotError
    ├── ConfigError            a required setting is missing or malformed
    ├── StartupError           the service cannot start (e.g. Slack refuses the token)
    ├── QuestionError          the question cannot be sent as it is
    │   ├── EmptyQuestion
    │   └── QuestionTooLong
    ├── GitBookError           GitBook did not produce a complete answer
    │   ├── GitBookHTTPError   a non-200 status before any stream (carries status and message)
    │   ├── AskStreamError     an `event: error` in the stream
    │   ├── GitBookTimeout     no byte for GITBOOK_TIMEOUT_SECONDS
    │   ├── GitBookConnectionError  the connection failed or was cut
    │   ├── AskFormatError     the stream was not the markdown we asked for
    │   └── InsightsFormatError  an insights aggregate result we cannot read
    └── SlackDeliveryError     Slack refused a message the user needed to see

Each error's ``user_message`` is what the asker is shown; one place (``bot.slack.blocks``)
turns it into Slack text.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    user_message = "Something went wrong while answering."


class ConfigError(BotError):
    """Raised when one or more settings are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class StartupError(BotError):
    """Raised when the service cannot start, for a reason worth one clear line."""


class QuestionError(BotError):
    """Raised when a question cannot be sent to GitBook."""


class EmptyQuestion(QuestionError):
    """Raised when the question is empty once the mention is removed."""

    user_message = "Ask me a question about the docs, for example: *How do I rotate an API key?*"


class QuestionTooLong(QuestionError):
    """Raised when the question is longer than GitBook accepts."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"question is {length} characters, limit {limit}")
        self.user_message = (
            f"That question is {length} characters long; the docs assistant accepts at most "
            f"{limit}. Please shorten it and ask again."
        )


class GitBookError(BotError):
    """Raised when GitBook does not produce a complete answer."""

    user_message = "The docs assistant ran into a problem."
    transient = False
    retry_after: float | None = None  # seconds GitBook asked us to wait, when it said


class GitBookHTTPError(GitBookError):
    """Raised when GitBook answers with a non-2xx status (before any stream)."""

    def __init__(self, status_code: int, message: str, *, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"GitBook answered HTTP {status_code}: {message}")
        self.transient = status_code >= 500 or status_code == 429
        self.user_message = _http_user_message(status_code)


def _http_user_message(status_code: int) -> str:
    if status_code in (401, 403):
        return "The docs assistant refused the bot's credentials; an admin must check the token."
    if status_code == 404:
        return "The docs site could not be found; an admin needs to check the bot's configuration."
    if status_code == 429:
        return "The docs assistant is busy right now (rate limited). Please try again in a minute."
    if status_code >= 500:
        return "The docs assistant is having trouble right now. Please try again in a moment."
    return f"The docs assistant could not take that question (HTTP {status_code})."


class AskStreamError(GitBookError):
    """Raised when the Ask stream reports an `error` event."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(f"GitBook stream error: {message}")
        self.user_message = "The docs assistant stopped with an error before finishing."


class GitBookTimeout(GitBookError):
    """Raised when GitBook sends no byte for the configured timeout."""

    user_message = "The docs assistant took too long to answer. Please try again."
    transient = True


class GitBookConnectionError(GitBookError):
    """Raised when the connection to GitBook fails or is cut mid-answer."""

    user_message = "The connection to the docs assistant was lost before the answer finished."
    transient = True


class AskFormatError(GitBookError):
    """Raised when Ask (or a page look-up) returns something other than what we asked for."""

    user_message = "The docs assistant answered in an unexpected format."


class InsightsFormatError(GitBookError):
    """Raised when an insights aggregate result is not the column-oriented data we asked for."""

    user_message = "GitBook returned insights in an unexpected format."


class SlackDeliveryError(BotError):
    """Raised when Slack refuses a message the asker needed to see."""

    def __init__(self, method: str, error: str, *, channel: str | None = None) -> None:
        self.method = method
        self.error = error
        self.channel = channel
        super().__init__(f"Slack {method} failed: {error} (channel {channel})")
