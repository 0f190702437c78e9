"""`.env.example` names every variable: those the code reads and those in the contract."""

from __future__ import annotations

import re

import pytest

from bot.__main__ import with_dotenv
from tests.support import REPO_ROOT

CONTRACT = REPO_ROOT.parent / "shared" / "CONTRACT.md"  # beside the repository, where present


def _example_names() -> set[str]:
    text = (REPO_ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_variable_the_settings_read_is_listed() -> None:
    source = (REPO_ROOT / "bot" / "settings.py").read_text()
    read = set(re.findall(r'reader\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', source))
    assert {"SLACK_BOT_TOKEN", "REDIS_URL", "LOG_FORMAT"} <= read  # the pattern finds them
    assert read - _example_names() == set()


def test_every_variable_in_the_contract_is_listed() -> None:
    if not CONTRACT.exists():
        pytest.skip(f"no {CONTRACT}")
    section = CONTRACT.read_text().split("## Environment", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))
    assert len(names) > 15
    assert names - _example_names() == set()


def test_the_example_parses_to_just_the_required_variables() -> None:
    values = with_dotenv({}, REPO_ROOT / ".env.example")
    assert set(values) == {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "GITBOOK_API_TOKEN",
        "GITBOOK_ORGANIZATION_ID",
        "GITBOOK_SITE_ID",
    }
