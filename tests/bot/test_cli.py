"""`python -m bot ask "question"`, run as a real process against a fake GitBook."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass

import pytest

from tests.fakes.gitbook import (
    Cut,
    DoneEvent,
    ErrorEvent,
    FakeGitBook,
    Hang,
    HttpError,
    Snapshot,
    Step,
    WaitFor,
    page_source,
    record_source,
)
from tests.support import start_bot_module

RUN_TIMEOUT = 30.0
FINAL = "To rotate a key, open **Settings → API keys** and click *Rotate*."


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def gitbook_env(gitbook: FakeGitBook, **overrides: str) -> dict[str, str]:
    """The process environment with only the CLI's variables set (plus what Python needs)."""
    env = {
        **os.environ,
        "GITBOOK_API_TOKEN": gitbook.token,
        "GITBOOK_ORGANIZATION_ID": gitbook.org,
        "GITBOOK_SITE_ID": gitbook.site,
        "GITBOOK_API_URL": gitbook.url,
        "GITBOOK_TIMEOUT_SECONDS": "5",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


async def start_cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await start_bot_module(env, *args)


async def run_cli(env: dict[str, str], *args: str) -> Run:
    process = await start_cli(env, *args)
    try:
        out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def _site(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "API keys", "security/api-keys")


async def test_answer_streams_once_then_sources_as_urls(fake_gitbook: FakeGitBook) -> None:
    _site(fake_gitbook)
    fake_gitbook.script_ask(
        [
            Snapshot("To rotate"),
            Snapshot("To rotate a key, open **Settings"),
            Snapshot(
                FINAL,
                sources=[
                    page_source(),
                    record_source("Changelog", "https://example.com/changelog"),
                ],
            ),
            DoneEvent(),
        ]
    )
    run = await run_cli(gitbook_env(fake_gitbook), "ask", "How do I rotate an API key?")
    assert run.code == 0, run.stderr
    assert run.stderr == ""  # nothing below WARNING by default
    assert FINAL in run.stdout
    assert run.stdout.count("To rotate") == 1  # each snapshot extends, nothing is repeated
    answer_at = run.stdout.index(FINAL)
    assert answer_at < run.stdout.index("https://docs.example.com/security/api-keys")
    assert answer_at < run.stdout.index("https://example.com/changelog")
    assert [r.question for r in fake_gitbook.ask_requests] == ["How do I rotate an API key?"]


async def test_log_level_and_format_apply_to_the_cli(fake_gitbook: FakeGitBook) -> None:
    _site(fake_gitbook)
    fake_gitbook.script_ask([Snapshot(FINAL, sources=[page_source()]), DoneEvent()])
    env = gitbook_env(fake_gitbook, LOG_LEVEL="DEBUG", LOG_FORMAT="json")
    run = await run_cli(env, "ask", "How do I rotate an API key?")
    assert run.code == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines, "DEBUG asked for log lines"
    records = [json.loads(line) for line in lines]  # every line one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert FINAL in run.stdout


async def test_answer_is_printed_as_it_arrives(fake_gitbook: FakeGitBook) -> None:
    gate = asyncio.Event()
    fake_gitbook.script_ask(
        [Snapshot("First part"), WaitFor(gate), Snapshot("First part, then the rest."), DoneEvent()]
    )
    process = await start_cli(gitbook_env(fake_gitbook), "ask", "rotate?")
    assert process.stdout is not None
    seen = b""
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            while b"First part" not in seen:  # shown while GitBook still holds the stream
                chunk = await process.stdout.read(1024)
                assert chunk, f"stdout closed early: {seen!r}"
                seen += chunk
    except BaseException:
        process.kill()
        raise
    finally:
        gate.set()
    rest, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    assert process.returncode == 0
    assert (seen + rest).decode() == "First part, then the rest.\n"


async def test_final_answer_is_complete_when_a_snapshot_rewrites_earlier_text(
    fake_gitbook: FakeGitBook,
) -> None:
    # Snapshots replace each other (docs/gitbook.md §4): a later one need not extend the last.
    fake_gitbook.script_ask(
        [Snapshot("To rotate a ke"), Snapshot("To rotate an API key, open Settings."), DoneEvent()]
    )
    run = await run_cli(gitbook_env(fake_gitbook), "ask", "rotate?")
    assert run.code == 0, run.stderr
    assert "To rotate an API key, open Settings." in run.stdout


async def test_no_answer_says_so(fake_gitbook: FakeGitBook) -> None:
    fake_gitbook.script_ask([Snapshot(None), DoneEvent()])
    run = await run_cli(gitbook_env(fake_gitbook), "ask", "what is the airspeed of a swallow?")
    assert run.code == 0, run.stderr
    assert "No answer" in run.stdout


@pytest.mark.parametrize(
    ("script", "overrides"),
    [
        pytest.param(
            [Snapshot("unused"), DoneEvent()],
            {"GITBOOK_API_TOKEN": "gb-wrong-token"},
            id="http-401",
        ),
        pytest.param([HttpError(500, "Internal error")], {}, id="http-500"),
        pytest.param([Snapshot("Partial"), ErrorEvent("boom")], {}, id="error-event"),
        pytest.param([Snapshot("Partial"), Cut()], {}, id="connection-cut"),
        pytest.param(
            [Snapshot("Partial"), Hang()], {"GITBOOK_TIMEOUT_SECONDS": "0.3"}, id="timeout"
        ),
    ],
)
async def test_gitbook_failure_is_one_error_line_and_exit_1(
    fake_gitbook: FakeGitBook, script: list[Step], overrides: dict[str, str]
) -> None:
    fake_gitbook.script_ask(script)
    env = gitbook_env(fake_gitbook, **overrides)
    run = await run_cli(env, "ask", "How do I rotate an API key?")
    assert run.code == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error:")


async def test_unreachable_gitbook_is_one_error_line_and_exit_1(fake_gitbook: FakeGitBook) -> None:
    url = fake_gitbook.url
    await fake_gitbook.close()  # nothing listens on that port any more
    run = await run_cli(gitbook_env(fake_gitbook, GITBOOK_API_URL=url), "ask", "anyone there?")
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith("error:"), run.stderr


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(["GITBOOK_API_TOKEN"], id="token"),
        pytest.param(
            ["GITBOOK_API_TOKEN", "GITBOOK_ORGANIZATION_ID", "GITBOOK_SITE_ID"], id="all-three"
        ),
    ],
)
async def test_missing_variables_are_named_on_one_line(
    fake_gitbook: FakeGitBook, names: list[str]
) -> None:
    env = gitbook_env(fake_gitbook)
    for name in names:
        del env[name]
    run = await run_cli(env, "ask", "How do I rotate an API key?")
    assert run.code == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert all(name in lines[0] for name in names), lines[0]
    assert fake_gitbook.calls == []


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["ask"], id="no-question"),
        pytest.param(["ask", "   "], id="blank-question"),
        pytest.param(["ask", "x" * 513], id="513-chars"),
    ],
)
async def test_usage_errors_exit_2_without_calling_gitbook(
    fake_gitbook: FakeGitBook, args: list[str]
) -> None:
    run = await run_cli(gitbook_env(fake_gitbook), *args)
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip()  # says what is wrong
    assert fake_gitbook.calls == []


async def test_question_of_exactly_512_chars_is_sent(fake_gitbook: FakeGitBook) -> None:
    question = "y" * 512
    run = await run_cli(gitbook_env(fake_gitbook), "ask", question)
    assert run.code == 0, run.stderr
    assert [r.question for r in fake_gitbook.ask_requests] == [question]


async def test_log_level_turns_on_lower_levels(fake_gitbook: FakeGitBook) -> None:
    run = await run_cli(gitbook_env(fake_gitbook, LOG_LEVEL="INFO"), "ask", "hello?")
    assert run.code == 0, run.stderr
    assert "INFO" in run.stderr  # e.g. httpx's request lines
    assert "Hello world" in run.stdout
