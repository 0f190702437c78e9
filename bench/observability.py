"""`python -m bench.observability`: what metrics and JSON logs cost the bot per question.

First a few real questions run through the real app against the test suite's fakes (signed
mentions over HTTP), counting what one question makes the bot log at INFO and how many Slack
calls it counts. Then that work is replayed many times in a tight loop on the bot's own
objects (`bot.metrics.Metrics`, `bot.logs` formatters writing to /dev/null), CPU time per
question beside the same loop with metrics and logging off. Target: under 0.3 ms a question.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.logs import bind_request_id, configure_logging
from bot.metrics import Metrics
from tests.e2e.harness import mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source
from tests.fakes.slack_api import FakeSlack, visible_text

TARGET_MS = 0.3
SAMPLE_QUESTIONS = 5
REPLAYS = 5_000


@dataclass(frozen=True)
class Footprint:
    """What one question costs in observability work, counted on the real app."""

    log_records: float
    slack_calls: float


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1


async def measure_footprint() -> Footprint:
    """Run SAMPLE_QUESTIONS real questions; count log records and Slack calls per question."""
    counter = _Counter()
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, root.handlers[:]
    root.handlers[:] = [counter]
    root.setLevel(logging.INFO)
    try:
        async with FakeSlack() as slack, FakeGitBook() as gitbook:
            gitbook.add_site_space("space_1", "https://docs.example.com/")
            gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
            async with running_bot(slack, gitbook) as bot:
                for index in range(SAMPLE_QUESTIONS):
                    answer = f"Answer number {index}."
                    gitbook.script_ask(
                        [
                            Snapshot(answer[:8]),
                            Snapshot(answer, sources=[page_source()]),
                            DoneEvent(),
                        ]
                    )
                    await bot.event(mention(f"question number {index}?", channel=f"C{index}"))
                    await slack.wait_until(
                        lambda answer=answer: any(
                            answer in visible_text(m) and "Sources" in visible_text(m)
                            for m in slack.messages.values()
                        )
                    )
                calls = len([c for c in slack.calls if c.method != "auth.test"])
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    return Footprint(counter.records / SAMPLE_QUESTIONS, calls / SAMPLE_QUESTIONS)


def _one_question(metrics: Metrics | None, log: logging.Logger, footprint: Footprint) -> None:
    bind_request_id(None)
    for _ in range(round(footprint.log_records)):
        log.info("request %s in channel %s", "event_callback", "C0CHAN9")
    if metrics is None:
        return
    metrics.answers_in_flight.inc()
    metrics.gitbook_first_chunk.observe(1.2)
    metrics.answer_first_text.observe(1.25)
    for _ in range(round(footprint.slack_calls)):
        metrics.slack_calls.labels(method="chat.update", result="ok").inc()
    metrics.questions.labels(surface="mention", outcome="answered").inc()
    metrics.answers_in_flight.dec()


def _cpu_ms_per_question(work: Callable[[], None], replays: int) -> float:
    start = time.thread_time()
    for _ in range(replays):
        work()
    return (time.thread_time() - start) * 1000 / replays


def measure_costs(footprint: Footprint, replays: int = REPLAYS) -> dict[str, float]:
    """CPU ms per question: off, metrics only, text logs, JSON logs, metrics + JSON logs."""
    log = logging.getLogger("bot.bench")
    results: dict[str, float] = {}
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, root.handlers[:]
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for name, log_format, metrics in (
            ("off", None, None),
            ("metrics", None, Metrics()),
            ("text logs", "text", None),
            ("json logs", "json", None),
            ("metrics + json logs", "json", Metrics()),
        ):
            configure_logging(
                "INFO" if log_format else "WARNING", log_format=log_format or "text", stream=sink
            )
            results[name] = _cpu_ms_per_question(
                lambda m=metrics: _one_question(m, log, footprint), replays
            )
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    return results


def render(footprint: Footprint, costs: dict[str, float]) -> str:
    """The figures, each beside the loop with everything off (the best possible: zero)."""
    off = costs["off"]
    lines = [
        f"per question (real app): {footprint.log_records:.1f} log records at INFO, "
        f"{footprint.slack_calls:.1f} Slack calls counted",
        f"{'configuration':<22} {'CPU ms/question':>16} {'added vs off':>13}  target < {TARGET_MS}",
    ]
    for name, value in costs.items():
        added = value - off
        verdict = "" if name == "off" else ("✔" if added < TARGET_MS else "✘")
        lines.append(f"{name:<22} {value:>16.4f} {added:>13.4f}  {verdict}")
    return "\n".join(lines)


def main() -> int:
    """Measure and print; exit 1 if metrics + JSON logs miss the target."""
    footprint = asyncio.run(measure_footprint())
    costs = measure_costs(footprint)
    print(render(footprint, costs))
    return 0 if costs["metrics + json logs"] - costs["off"] < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
