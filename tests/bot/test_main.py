"""`python -m bot`'s entry: --help, --version, and the .env it reads."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
from pathlib import Path

import pytest

from bot.__main__ import entry, with_dotenv
from bot.gitbook.client import USER_AGENT
from bot.settings import Settings
from tests.support import start_bot_module

VERSION = importlib.metadata.version("gitbook-docs-bot")
REQUIRED = (
    "SLACK_BOT_TOKEN=xoxb-9QzK4vWm2Lp7Jh\n"
    "GITBOOK_API_TOKEN=gb_Hq7Ww2Zk9Rt4VnBc\n"
    "GITBOOK_ORGANIZATION_ID=org_1\n"
    "GITBOOK_SITE_ID=site_1\n"
)


async def _run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    process = await start_bot_module(dict(os.environ), *args, cwd=cwd)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("flag", ["--help", "-h"])
async def test_help_prints_usage_on_stdout_and_exits_0(flag: str) -> None:
    code, out, err = await _run(flag)
    assert (code, err) == (0, "")
    assert out.startswith("usage: python -m bot")
    assert 'python -m bot ask "question"' in out


async def test_version_prints_the_package_version_and_exits_0() -> None:
    assert await _run("--version") == (0, f"gitbook-docs-bot {VERSION}\n", "")


async def test_an_unknown_argument_is_a_usage_error() -> None:
    code, out, err = await _run("--frobnicate")
    assert (code, out) == (2, "")
    assert err.startswith("usage: python -m bot")


def test_the_docsbot_script_is_the_same_entry() -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="docsbot")
    assert script.load() is entry


def test_gitbook_sees_the_package_version() -> None:
    assert USER_AGENT.split()[0] == f"gitbook-docs-bot/{VERSION}"


def _settings_from(tmp_path: Path, dotenv: str, environ: dict[str, str] | None = None) -> Settings:
    path = tmp_path / ".env"
    path.write_text(REQUIRED + dotenv)
    return Settings.from_env(with_dotenv(environ or {}, path))


def test_space_separated_ids_survive(tmp_path: Path) -> None:
    settings = _settings_from(
        tmp_path, "SLACK_SIGNING_SECRET=s3cret-value\nINSIGHTS_VIEWERS=S0DOCSTEAM U0123ABCD\n"
    )
    assert settings.insights_viewers == {"S0DOCSTEAM", "U0123ABCD"}


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        pytest.param('"pa$$w0rd$HOME ${NOPE}x"', "pa$$w0rd$HOME ${NOPE}x", id="double-quoted"),
        pytest.param("'pa$$w0rd ${HOME}'", "pa$$w0rd ${HOME}", id="single-quoted"),
        pytest.param("pa$w0rd#1", "pa$w0rd#1", id="unquoted"),
        pytest.param('"with # hash" # a comment', "with # hash", id="quoted-then-comment"),
    ],
)
def test_values_with_dollars_survive_literally(tmp_path: Path, line: str, secret: str) -> None:
    settings = _settings_from(tmp_path, f"SLACK_SIGNING_SECRET={line}\n")
    assert settings.slack_signing_secret == secret


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    settings = _settings_from(
        tmp_path,
        "SLACK_SIGNING_SECRET=from-dotenv\nPORT=4000\n",
        {"PORT": "5000", "SLACK_SIGNING_SECRET": "from-environment"},
    )
    assert (settings.port, settings.slack_signing_secret) == (5000, "from-environment")


def test_no_dotenv_is_just_the_environment(tmp_path: Path) -> None:
    assert with_dotenv({"PORT": "1"}, tmp_path / ".env") == {"PORT": "1"}


async def test_an_unreadable_dotenv_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"SLACK_BOT_TOKEN=xoxb-\xff\xfe\n")
    code, out, err = await _run(cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("start-up error: cannot read .env: ") and err.count("\n") == 1, err
