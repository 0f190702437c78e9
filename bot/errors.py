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
    │   ├── GitBookTimeout     no answer chunk in time, or past the answer deadline
    │   ├── GitBookConnectionError  the connection failed or was cut
    │   ├── AskFormatError     the stream was not the markdown we asked for
    │   └── InsightsFormatError  an insights aggregate result we cannot read
    ├── SlackDeliveryError     Slack refused a message the user needed to see
    └── ReplyClosed            a reply failed and was already closed with a notice

What the asker is told about each is decided in one place, ``bot.notices.for_error``.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


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


class QuestionTooLong(QuestionError):
    """Raised when the question is longer than GitBook accepts."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"question is {length} characters, limit {limit}")


class GitBookError(BotError):
    """Raised when GitBook does not produce a complete answer."""

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


class AskStreamError(GitBookError):
    """Raised when the Ask stream reports an `error` event."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(f"GitBook stream error: {message}")


class GitBookTimeout(GitBookError):
    """Raised when no answer chunk comes within GITBOOK_TIMEOUT_SECONDS, or past the deadline."""

    transient = True


class GitBookConnectionError(GitBookError):
    """Raised when the connection to GitBook fails or is cut mid-answer."""

    transient = True


class AskFormatError(GitBookError):
    """Raised when Ask (or a page look-up) returns something other than what we asked for."""


class InsightsFormatError(GitBookError):
    """Raised when an insights aggregate result is not the column-oriented data we asked for."""


class SlackDeliveryError(BotError):
    """Raised when Slack refuses a message the asker needed to see."""

    def __init__(self, method: str, error: str, *, channel: str | None = None) -> None:
        self.method = method
        self.error = error
        self.channel = channel
        super().__init__(f"Slack {method} failed: {error} (channel {channel})")


class ReplyClosed(BotError):
    """Raised from a failure after the asker's reply was closed with a notice.

    The error boundary logs its cause and says nothing more to the asker.
    """
