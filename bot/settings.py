"""Typed, frozen configuration built once from the environment.

This is the only module that reads environment variables, and it reads them from a
mapping passed in, so tests build settings from a plain dict. Longer than the ~250-line
guide because every variable of CONTRACT.md is parsed and checked here, in one place.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.logs import LOG_FORMATS
from bot.slack.delivery.modes import STREAM_MODES

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GITBOOK_API_URL = "https://api.gitbook.com/v1"

MAX_SUGGESTED_PROMPTS = 4  # assistant.threads.setSuggestedPrompts: up to four (docs/slack.md §10)
T = TypeVar("T")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class Secret(str):
    """A string whose repr shows at most its last four characters."""

    def __repr__(self) -> str:
        return f"'…{self[-4:]}'" if len(self) > 12 else "'****'"

    def masked(self) -> str:
        """Return the secret as it may appear in logs."""
        return repr(self).strip("'")


@dataclass(frozen=True, slots=True)
class GitBookSettings:
    """What the bot needs to talk to GitBook (all the CLI needs)."""

    api_token: Secret
    organization_id: str
    site_id: str
    api_url: str = DEFAULT_GITBOOK_API_URL
    timeout_seconds: float = 60.0
    # Slack closes native streams after about 5 minutes: every answer ends before that.
    answer_deadline_seconds: float = 240.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitBookSettings:
        """Build GitBook settings, raising one ConfigError naming every bad variable."""
        reader = _Reader(environ)
        settings = cls._read(reader)
        reader.raise_if_problems()
        return settings

    @classmethod
    def _read(cls, reader: _Reader) -> GitBookSettings:
        return cls(
            api_token=Secret(reader.required("GITBOOK_API_TOKEN")),
            organization_id=reader.required("GITBOOK_ORGANIZATION_ID"),
            site_id=reader.required("GITBOOK_SITE_ID"),
            api_url=reader.url("GITBOOK_API_URL", DEFAULT_GITBOOK_API_URL).rstrip("/"),
            timeout_seconds=reader.number("GITBOOK_TIMEOUT_SECONDS", 60.0, float, minimum=0.1),
            answer_deadline_seconds=reader.number(
                "ANSWER_DEADLINE_SECONDS", 240.0, float, minimum=0.1
            ),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from the environment."""

    slack_bot_token: Secret
    slack_signing_secret: Secret | None
    slack_app_token: Secret | None
    gitbook: GitBookSettings
    slack_api_url: str = DEFAULT_SLACK_API_URL
    redis_url: Secret | None = None
    cache_ttl_seconds: int = 3600
    slash_command: str = "/docs"
    insights_hash_key: Secret = field(default=Secret(""))
    user_questions_per_minute: int = 10
    stream_mode: str = "auto"
    insights_viewers: frozenset[str] = frozenset()
    insights_digest_channel: str | None = None
    suggested_prompts: tuple[str, ...] = ()  # the assistant pane's starters; () = built-in
    auto_answer_channels: frozenset[str] = frozenset()
    # Ask a person and docs feedback into GitBook (CONTRACT "Ask a person", "Docs feedback")
    escalation_channel: str | None = None
    gitbook_feedback_comments: bool = False
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"

    @property
    def socket_mode(self) -> bool:
        """Whether the bot connects over Socket Mode instead of serving HTTP."""
        return self.slack_app_token is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings, raising one ConfigError naming every missing or malformed variable."""
        reader = _Reader(environ)
        app_token = reader.optional_token("SLACK_APP_TOKEN", "xapp-")
        signing_secret = reader.optional("SLACK_SIGNING_SECRET")
        if app_token is None and signing_secret is None:
            reader.problem("SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN)")
        settings = cls(
            slack_bot_token=Secret(reader.token("SLACK_BOT_TOKEN", "xoxb-")),
            slack_signing_secret=Secret(signing_secret) if signing_secret else None,
            slack_app_token=Secret(app_token) if app_token else None,
            gitbook=GitBookSettings._read(reader),
            slack_api_url=_with_slash(reader.url("SLACK_API_URL", DEFAULT_SLACK_API_URL)),
            redis_url=_secret_or_none(reader.redis_url("REDIS_URL")),
            cache_ttl_seconds=reader.number("CACHE_TTL_SECONDS", 3600, int, minimum=0),
            slash_command=reader.slash_command("SLASH_COMMAND", "/docs"),
            insights_hash_key=Secret(
                reader.optional("INSIGHTS_HASH_KEY") or signing_secret or app_token or ""
            ),
            user_questions_per_minute=reader.number("USER_QUESTIONS_PER_MINUTE", 10, int, 0),
            stream_mode=reader.choice("STREAM_MODE", "auto", STREAM_MODES),
            insights_viewers=reader.id_set("INSIGHTS_VIEWERS"),
            insights_digest_channel=reader.channel("INSIGHTS_DIGEST_CHANNEL"),
            suggested_prompts=reader.prompts("SUGGESTED_PROMPTS"),
            auto_answer_channels=reader.channel_set("AUTO_ANSWER_CHANNELS"),
            escalation_channel=reader.channel("ESCALATION_CHANNEL"),
            gitbook_feedback_comments=reader.flag("GITBOOK_FEEDBACK_COMMENTS"),
            port=reader.number("PORT", 3000, int, minimum=0, maximum=65535),
            log_level=reader.log_level("LOG_LEVEL", "INFO"),
            log_format=reader.choice("LOG_FORMAT", "text", LOG_FORMATS),
        )
        reader.raise_if_problems()
        return settings


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _secret_or_none(value: str | None) -> Secret | None:
    return Secret(value) if value else None


class _Reader:
    """Reads variables and collects every problem, so start-up names them all at once."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._problems: list[str] = []

    def problem(self, text: str) -> None:
        self._problems.append(text)

    def raise_if_problems(self) -> None:
        if self._problems:
            raise ConfigError(self._problems)

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            self.problem(f"{name} is required")
        return value or ""

    def token(self, name: str, prefix: str) -> str:
        value = self.required(name)
        if value and not value.startswith(prefix):
            self.problem(f"{name} must start with {prefix!r}")
        return value

    def optional_token(self, name: str, prefix: str) -> str | None:
        value = self.optional(name)
        if value is not None and not value.startswith(prefix):
            self.problem(f"{name} must start with {prefix!r}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.optional(name) or default
        if not value.startswith(("http://", "https://")):
            self.problem(f"{name} must be an http(s) URL")
        return value

    def redis_url(self, name: str) -> str | None:
        """A URL redis-py can open; never echoed, since it may hold a password."""
        value = self.optional(name)
        if value is None:
            return None
        if not value.lower().startswith(("redis://", "rediss://", "unix://")):
            self.problem(f"{name} must start with redis://, rediss:// or unix://")
            return None
        try:
            urlsplit(value).port  # noqa: B018 - urllib checks the port only when asked for it
        except ValueError:
            self.problem(f"{name} has a malformed port")
        return value

    def channel(self, name: str) -> str | None:
        """A channel id: C… (public) or G… (private), as Slack shows it in channel details."""
        value = self.optional(name)
        if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value):
            self.problem(f"{name} must be a channel id (C… or G…), got {value!r}")
        return value

    def number(
        self,
        name: str,
        default: T,
        kind: Callable[[str], T],
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> T:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = kind(raw)
        except ValueError:
            self.problem(f"{name} must be a number, got {raw!r}")
            return default
        if not _within(float(value), minimum, maximum):  # type: ignore[arg-type]
            self.problem(f"{name} is out of range: {raw}")
        return value

    def slash_command(self, name: str, default: str) -> str:
        value = self.optional(name) or default
        if not value.startswith("/") or len(value) > 32 or " " in value:
            self.problem(f"{name} must look like /docs (a slash, no spaces, at most 32 characters)")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = (self.optional(name) or default).lower()
        if value not in choices:
            self.problem(f"{name} must be one of {', '.join(choices)}")
        return value

    def id_set(self, name: str) -> frozenset[str]:
        """Slack user (U…/W…) or user group (S…) ids, separated by commas or spaces."""
        ids = frozenset((self.optional(name) or "").replace(",", " ").split())
        if any(i[:1] not in ("U", "W", "S") for i in ids):
            self.problem(f"{name} must list Slack user (U…) or user group (S…) ids")
        return ids

    def prompts(self, name: str) -> tuple[str, ...]:
        """Prompts separated by `;` (empty ones dropped); Slack shows at most four."""
        prompts = [p.strip() for p in (self.optional(name) or "").split(";")]
        return tuple(p for p in prompts if p)[:MAX_SUGGESTED_PROMPTS]

    def channel_set(self, name: str) -> frozenset[str]:
        """Slack channel ids (C…, G…), separated by commas or spaces."""
        ids = frozenset((self.optional(name) or "").replace(",", " ").split())
        if any(i[:1] not in ("C", "G") or not i.isalnum() for i in ids):
            self.problem(f"{name} must list Slack channel ids (C…, G…)")
        return ids

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean: true/false (also 1/0, yes/no, on/off)."""
        value = (self.optional(name) or "").lower()
        if not value:
            return default
        if value not in _TRUE | _FALSE:
            self.problem(f"{name} must be true or false, got {value!r}")
        return value in _TRUE

    def log_level(self, name: str, default: str) -> str:
        value = (self.optional(name) or default).upper()
        if value not in logging.getLevelNamesMapping():
            self.problem(f"{name} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value


def _within(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def environment() -> Mapping[str, str]:
    """The process environment: read here and nowhere else."""
    return os.environ
