from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import GitBookSettings, Settings

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-9QzK4vWm2Lp7Jh",
    "SLACK_SIGNING_SECRET": "Zr8TnQ5wXy3K1mPdGf",
    "GITBOOK_API_TOKEN": "gb_Hq7Ww2Zk9Rt4VnBc",
    "GITBOOK_ORGANIZATION_ID": "org_1",
    "GITBOOK_SITE_ID": "site_1",
}


def test_defaults_follow_the_contract() -> None:
    settings = Settings.from_env(BASE)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.gitbook.api_url == "https://api.gitbook.com/v1"
    assert settings.gitbook.timeout_seconds == 60.0
    assert settings.cache_ttl_seconds == 3600
    assert settings.slash_command == "/docs"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.log_format == "text"
    assert settings.redis_url is None
    assert settings.socket_mode is False


def test_settings_are_frozen() -> None:
    settings = Settings.from_env(BASE)
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_repr_never_shows_more_than_the_last_four_characters_of_a_secret() -> None:
    env = {**BASE, "REDIS_URL": "redis://:Pz9Qw7Lk3Xc@localhost:6379/0"}
    text = repr(Settings.from_env(env))
    assert "Pz9Qw7Lk3Xc" not in text
    for secret in (env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["GITBOOK_API_TOKEN"]):
        assert secret[:-4] not in text
        for start in range(len(secret) - 4):
            assert secret[start : start + 5] not in text, secret[start : start + 5]


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        pytest.param("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN", id="bot-token"),
        pytest.param("GITBOOK_API_TOKEN", "GITBOOK_API_TOKEN", id="gitbook-token"),
        pytest.param("GITBOOK_ORGANIZATION_ID", "GITBOOK_ORGANIZATION_ID", id="org"),
        pytest.param("GITBOOK_SITE_ID", "GITBOOK_SITE_ID", id="site"),
        pytest.param("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET", id="signing-secret"),
    ],
)
def test_a_missing_required_variable_is_named(missing: str, named: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert named in str(info.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("SLACK_BOT_TOKEN", "xoxp-user-token", id="user-token"),
        pytest.param("SLACK_APP_TOKEN", "xoxb-not-an-app-token", id="app-token"),
        pytest.param("PORT", "eighty", id="port-not-number"),
        pytest.param("PORT", "70000", id="port-out-of-range"),
        pytest.param("CACHE_TTL_SECONDS", "-5", id="negative-ttl"),
        pytest.param("GITBOOK_TIMEOUT_SECONDS", "0", id="zero-timeout"),
        pytest.param("GITBOOK_API_URL", "ftp://example.com", id="bad-url"),
        pytest.param("SLASH_COMMAND", "docs", id="command-without-slash"),
        pytest.param("LOG_LEVEL", "CHATTY", id="bad-log-level"),
    ],
)
def test_a_malformed_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, name: value})
    assert name in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"PORT": "x"})
    message = str(info.value)
    for name in ("SLACK_BOT_TOKEN", "GITBOOK_API_TOKEN", "GITBOOK_SITE_ID", "PORT"):
        assert name in message


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {k: v for k, v in BASE.items() if k != "SLACK_SIGNING_SECRET"}
    settings = Settings.from_env({**env, "SLACK_APP_TOKEN": "xapp-1-A1-token"})
    assert settings.socket_mode is True
    assert settings.slack_signing_secret is None


def test_api_urls_are_normalised() -> None:
    settings = Settings.from_env(
        {**BASE, "GITBOOK_API_URL": "http://127.0.0.1:9/v1/", "SLACK_API_URL": "http://x/api"}
    )
    assert settings.gitbook.api_url == "http://127.0.0.1:9/v1"
    assert settings.slack_api_url == "http://x/api/"


def test_insights_hash_key_defaults_to_the_signing_secret_and_can_be_set() -> None:
    assert Settings.from_env(BASE).insights_hash_key == BASE["SLACK_SIGNING_SECRET"]
    pinned = Settings.from_env({**BASE, "INSIGHTS_HASH_KEY": "stable-key"})
    assert pinned.insights_hash_key == "stable-key"


def test_the_cli_needs_only_gitbook_variables() -> None:
    env = {k: v for k, v in BASE.items() if k.startswith("GITBOOK_")}
    settings = GitBookSettings.from_env({**env, "GITBOOK_TIMEOUT_SECONDS": "2.5"})
    assert settings.timeout_seconds == 2.5
    assert settings.site_id == "site_1"


def test_stream_mode_and_insights_viewers_are_read() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "STREAM_MODE": "edit",
            "INSIGHTS_VIEWERS": "U123, S456 W789",
            "INSIGHTS_DIGEST_CHANNEL": "C0DOCS",
        }
    )
    assert settings.stream_mode == "edit"
    assert settings.insights_viewers == frozenset({"U123", "S456", "W789"})
    assert settings.insights_digest_channel == "C0DOCS"
    assert Settings.from_env(BASE).insights_viewers == frozenset()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("STREAM_MODE", "sometimes", id="stream-mode"),
        pytest.param("INSIGHTS_VIEWERS", "alice", id="viewer-not-an-id"),
    ],
)
def test_bad_choices_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, name: value})
    assert name in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "rediss://:secret@cache.example.com:6380/1",
        "unix:///run/redis/redis.sock?db=2",
    ],
)
def test_redis_urls_with_a_redis_scheme_are_accepted(url: str) -> None:
    assert Settings.from_env({**BASE, "REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("localhost:6379", id="no-scheme"),
        pytest.param("cache.example.com", id="host-only"),
        pytest.param("redis:cache.example.com", id="no-slashes"),
        pytest.param("http://:Pz9Qw7Lk3Xc@cache:6379/0", id="http"),
        pytest.param("redis://cache:63x9/0", id="bad-port"),
    ],
)
def test_a_redis_url_without_a_redis_scheme_is_named_but_not_echoed(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, "REDIS_URL": url})
    assert "REDIS_URL" in str(info.value)
    assert "Pz9Qw7Lk3Xc" not in str(info.value) and url not in str(info.value)


@pytest.mark.parametrize("channel", ["C0DOCS", "G01ABCDEF", "C0123456789"])
def test_a_digest_channel_id_is_accepted(channel: str) -> None:
    env = {**BASE, "INSIGHTS_DIGEST_CHANNEL": channel}
    assert Settings.from_env(env).insights_digest_channel == channel


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param("#docs", id="name"),
        pytest.param("docs-team", id="bare-name"),
        pytest.param("U0123ABCD", id="user-id"),
        pytest.param("c0docs", id="lower-case"),
        pytest.param("C", id="too-short"),
    ],
)
def test_a_malformed_digest_channel_is_named(channel: str) -> None:
    with pytest.raises(ConfigError, match="INSIGHTS_DIGEST_CHANNEL must be a channel id"):
        Settings.from_env({**BASE, "INSIGHTS_DIGEST_CHANNEL": channel})


@pytest.mark.parametrize(("value", "expected"), [("json", "json"), ("TEXT", "text"), ("", "text")])
def test_log_format_is_text_or_json(value: str, expected: str) -> None:
    assert Settings.from_env({**BASE, "LOG_FORMAT": value}).log_format == expected


def test_another_log_format_is_named() -> None:
    with pytest.raises(ConfigError, match="LOG_FORMAT must be one of text, json"):
        Settings.from_env({**BASE, "LOG_FORMAT": "logfmt"})


def test_suggested_prompts_are_split_on_semicolons_and_at_most_four_kept() -> None:
    env = {**BASE, "SUGGESTED_PROMPTS": " How do I start? ;; What is SSO?;a;b;c "}
    assert Settings.from_env(env).suggested_prompts == ("How do I start?", "What is SSO?", "a", "b")
    assert Settings.from_env(BASE).suggested_prompts == ()


def test_auto_answer_channels_are_read_and_validated() -> None:
    env = {**BASE, "AUTO_ANSWER_CHANNELS": "C0HELP1, G0PRIV2  C0HELP1"}
    assert Settings.from_env(env).auto_answer_channels == frozenset({"C0HELP1", "G0PRIV2"})
    assert Settings.from_env(BASE).auto_answer_channels == frozenset()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("D0DM1", id="dm"),
        pytest.param("U0USER", id="user"),
        pytest.param("#general", id="name"),
        pytest.param("C0HELP1;C0HELP2", id="semicolon"),
    ],
)
def test_auto_answer_channels_must_be_channel_ids(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, "AUTO_ANSWER_CHANNELS": value})
    assert "AUTO_ANSWER_CHANNELS" in str(info.value)


def test_answer_deadline_defaults_to_240_seconds_and_can_be_set() -> None:
    assert Settings.from_env(BASE).gitbook.answer_deadline_seconds == 240.0
    settings = Settings.from_env({**BASE, "ANSWER_DEADLINE_SECONDS": "90.5"})
    assert settings.gitbook.answer_deadline_seconds == 90.5


@pytest.mark.parametrize("value", ["0", "soon", "-1"])
def test_a_bad_answer_deadline_is_named(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, "ANSWER_DEADLINE_SECONDS": value})
    assert "ANSWER_DEADLINE_SECONDS" in str(info.value)


# --- Ask a person and docs feedback into GitBook ---------------------------------------------


def test_escalation_and_feedback_comments_are_off_by_default() -> None:
    settings = Settings.from_env(BASE)
    assert settings.escalation_channel is None
    assert settings.gitbook_feedback_comments is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("TRUE", True, id="upper-case"),
        pytest.param("1", True, id="one"),
        pytest.param("false", False, id="false"),
        pytest.param("no", False, id="no"),
    ],
)
def test_feedback_comments_flag_is_read(raw: str, expected: bool) -> None:
    settings = Settings.from_env({**BASE, "GITBOOK_FEEDBACK_COMMENTS": raw})
    assert settings.gitbook_feedback_comments is expected


@pytest.mark.parametrize("channel", ["C0PEOPLE1", "G0PRIVATE2"])
def test_escalation_channel_is_a_channel_id(channel: str) -> None:
    assert Settings.from_env({**BASE, "ESCALATION_CHANNEL": channel}).escalation_channel == channel


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("ESCALATION_CHANNEL", "#help-docs", id="channel-name"),
        pytest.param("ESCALATION_CHANNEL", "U0PERSON", id="user-id"),
        pytest.param("ESCALATION_CHANNEL", "D0DM1", id="dm"),
        pytest.param("GITBOOK_FEEDBACK_COMMENTS", "sometimes", id="not-a-boolean"),
    ],
)
def test_bad_people_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**BASE, name: value})
    assert name in str(info.value)
