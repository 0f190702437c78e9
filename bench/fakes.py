"""The test suite's fakes, with a clock: when Slack accepted each call, when GitBook wrote.

`TimedSlack` stamps every Web API call as the fake handles it (accepted or refused with 429);
`TimedGitBook` stamps each Ask request's arrival and each snapshot it writes. Both stamp with
`time.monotonic()`, the clock the load driver uses, so times compare across them.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench.config import AnswerShape, BenchConfig
from bench.model import POST_BURST, POSTS_PER_SECOND
from tests.fakes.gitbook import Delay, DoneEvent, FakeGitBook, Snapshot, Step, page_source
from tests.fakes.slack_api import Call, FakeSlack

SITE_URL = "https://docs.example.com/"
PAGE_TITLE = "Getting started"
_PHRASE = (
    "open the workspace settings then choose **API-tokens** and create a token with the "
    "scopes your integration needs; keep it in a `secret` store and rotate it every quarter"
)
_WORDS = _PHRASE.split()


@dataclass(frozen=True, slots=True)
class Stamp:
    """One Web API call, when the fake handled it, and what it answered."""

    at: float
    call: Call
    result: dict[str, Any]


@dataclass(frozen=True)
class StampedSnapshot(Snapshot):
    """A snapshot that records when it was written, under the question it answers."""

    key: str = ""


class TimedSlack(FakeSlack):
    """FakeSlack that keeps the time of every accepted and every rate-limited call."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[Stamp] = []
        self.limited: list[Stamp] = []

    def _rate_limited(self, method: str, call: Call) -> int | None:
        retry_after = super()._rate_limited(method, call)
        if retry_after is not None:
            self.limited.append(Stamp(time.monotonic(), call, {"ok": False}))
        return retry_after

    def _dispatch(self, method: str, call: Call) -> dict[str, Any]:
        result = super()._dispatch(method, call)  # raises when Slack would refuse the call
        self.accepted.append(Stamp(time.monotonic(), call, result))
        return result


class TimedGitBook(FakeGitBook):
    """FakeGitBook that keeps when each question's Ask arrived and each snapshot went out."""

    def __init__(self) -> None:
        super().__init__(org="org_1", site="site_1", token="gb-token")
        self.arrivals: dict[str, float] = {}
        self.chunk_times: defaultdict[str, list[float]] = defaultdict(list)

    def _script_for(self, question: str) -> list[Step]:
        self.arrivals.setdefault(question, time.monotonic())
        return super()._script_for(question)

    async def _json_body(self, request: web.Request, path_template: str) -> dict[str, Any]:
        # The test suite checks bodies against GitBook's OpenAPI schema; here that check
        # (about 13 ms of CPU per insights event) would run on the bot's event loop.
        body = json.loads(await request.text())
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(reason="body is not a JSON object")
        return body

    async def _play_step(
        self, request: web.Request, response: web.StreamResponse, step: Step
    ) -> bool:
        going = await super()._play_step(request, response, step)
        if isinstance(step, StampedSnapshot):
            self.chunk_times[step.key].append(time.monotonic())
        return going


@dataclass(frozen=True, slots=True)
class Fakes:
    """Fake Slack and GitBook for one phase."""

    slack: TimedSlack
    gitbook: TimedGitBook


@asynccontextmanager
async def started_fakes(config: BenchConfig) -> AsyncIterator[Fakes]:
    """Start both fakes: one docs page for sources, Slack's limits enforced (per workspace,
    and chat.postMessage per channel)."""
    async with TimedSlack() as slack, TimedGitBook() as gitbook:
        gitbook.add_site_space("space_1", SITE_URL)
        gitbook.add_page("space_1", "page_1", PAGE_TITLE, "getting-started")
        for method, per_minute in slack_limits(config).items():
            slack.set_rate_limit(method, per_minute, config.retry_after_s)
        slack.set_channel_post_limit(POST_BURST, POSTS_PER_SECOND, config.retry_after_s)
        yield Fakes(slack, gitbook)


def slack_limits(config: BenchConfig) -> dict[str, int]:
    """Calls per minute per workspace (docs/slack.md §3): Tier 3, Tier 2, Tier 4, Tier 2."""
    return {
        "chat.update": config.update_per_minute,
        "chat.startStream": 20,
        "chat.appendStream": 100,
        "chat.stopStream": 20,
    }


def answer_text(marker: str, chars: int) -> str:
    """A Markdown answer of about chars characters, starting with marker (unique per question)."""
    words = itertools.cycle(_WORDS)
    lines = [marker]
    size = len(marker)
    while size < chars:
        line = " ".join(next(words) for _ in range(12))
        lines.append(f"- {line}." if len(lines) % 3 == 0 else f"{line.capitalize()}.")
        size += len(lines[-1]) + 2
    return "\n\n".join(lines)


def answer_script(question: str, answer: str, marker: str, shape: AnswerShape) -> list[Step]:
    """Ask's stream for question: wait, then growing snapshots, sources on the last, done."""
    steps: list[Step] = []
    for index, prefix in enumerate(_prefixes(answer, marker, shape.chunks)):
        last = index == shape.chunks - 1
        delay = shape.first_chunk_s if index == 0 else shape.chunk_gap_s
        if delay > 0:
            steps.append(Delay(delay))
        sources = [page_source()] if last else []
        steps.append(StampedSnapshot(prefix, sources=sources, key=question))
    steps.append(DoneEvent())
    return steps


def _prefixes(answer: str, marker: str, count: int) -> list[str]:
    """count growing prefixes of answer, cut between words, the first holding marker."""
    prefixes = []
    for n in range(1, count + 1):
        end = max(len(marker), len(answer) * n // count)
        cut = answer.find(" ", end)
        prefixes.append(answer if n == count or cut < 0 else answer[:cut])
    return prefixes
