"""One question's journey, and what the user saw of it in (fake) Slack, when.

Each question is a mention with its own `ts`, answered in that thread: every Slack call about it
is found by its thread (posts and stream starts name it; edits, appends and stops name the
message the bot created there), so questions may share a channel and its posting limit. The
answer starts with a marker unique to the question: the first accepted message or edit showing
the marker is the first visible answer text; the first showing the whole answer without the
"Writing…" status is the final answer.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.config import AnswerShape
from bench.fakes import Stamp, TimedGitBook, TimedSlack, answer_script, answer_text
from bot.notices import PLACEHOLDER, WRITING
from tests.fakes.slack_api import visible_text

NAN = math.nan
CONTENT_METHODS = frozenset({"chat.postMessage", "chat.update"})
STREAM_METHODS = frozenset({"chat.startStream", "chat.appendStream", "chat.stopStream"})


@dataclass
class Probe:
    """A question, its expected answer, and the times the run observed for it."""

    qid: str
    channel: str
    user: str
    question: str
    answer: str
    marker: str
    ts: str = ""  # the mention's ts: the thread the answer goes to
    t_event: float = NAN  # the driver starts sending the Slack event (or the baseline starts)
    t_ack: float = NAN  # the bot's HTTP response arrived
    ack_status: int = 0
    t_ask: float = NAN  # GitBook received the Ask request
    t_chunk1: float = NAN  # GitBook wrote the first snapshot
    t_chunk_last: float = NAN  # GitBook wrote the last snapshot
    t_first_text: float = NAN  # Slack accepted the first message or edit showing answer text
    t_final: float = NAN  # Slack accepted the final answer
    complete: bool = False  # the final answer is shown and no placeholder or draft is left

    @property
    def answered(self) -> bool:
        return not math.isnan(self.t_final)


def make_probes(
    phase: str, count: int, shape: AnswerShape, *, channels: int | None = None
) -> list[Probe]:
    """count distinct questions for a phase, each asked by its own user, in its own channel
    or round-robin over `channels` channels."""
    probes = []
    for i in range(count):
        qid = f"{phase}{i:04d}"
        marker = f"Answer {qid}:"
        probes.append(
            Probe(
                qid=qid,
                channel=f"C{qid.upper()}"
                if channels is None
                else f"C{phase.upper()}{i % channels:03d}",
                ts=f"{1_800_000_000 + i}.{sum(map(ord, phase)) % 1_000_000:06d}",
                user=f"U{qid.upper()}",
                question=f"How do I configure feature {qid}?",
                answer=answer_text(marker, shape.answer_chars),
                marker=marker,
            )
        )
    return probes


def script_answers(gitbook: TimedGitBook, probes: list[Probe], shape: AnswerShape) -> None:
    """Tell the fake GitBook how to answer each probe's question."""
    for probe in probes:
        script = answer_script(probe.question, probe.answer, probe.marker, shape)
        gitbook.script_ask(script, question=probe.question)


class Observer:
    """Reads the fake Slack's stamped calls as they come, noting what each asker sees."""

    def __init__(self, slack: TimedSlack, probes: list[Probe]) -> None:
        self._slack = slack
        # (channel, ts) of each question's thread, then of each message the bot made there
        self._by_message = {(probe.channel, probe.ts): probe for probe in probes}
        self._seen = 0
        self._pending = len(probes)
        self._streams: dict[tuple[str, str], str] = {}  # native streams: the text so far

    @property
    def pending(self) -> int:
        """Questions whose final answer Slack has not accepted yet."""
        return self._pending

    def update(self) -> None:
        """Look at the calls accepted since the last update."""
        fresh = self._slack.accepted[self._seen :]
        self._seen += len(fresh)
        for stamp in fresh:
            self._observe(stamp)

    def _probe_of(self, stamp: Stamp) -> Probe | None:
        args, channel = stamp.call.args, str(stamp.call.args.get("channel"))
        if "thread_ts" in args:  # a post or a stream start in the question's thread
            probe = self._by_message.get((channel, str(args["thread_ts"])))
            if probe is not None and stamp.result.get("ts"):
                self._by_message[(channel, str(stamp.result["ts"]))] = probe
            return probe
        return self._by_message.get((channel, str(args.get("ts"))))

    def _observe(self, stamp: Stamp) -> None:
        probe = self._probe_of(stamp)
        method = stamp.call.method
        if probe is None or probe.answered:
            return
        if method in CONTENT_METHODS:
            text, final = visible_text(stamp.call.args), True
        elif method in STREAM_METHODS:
            text, final = self._stream(stamp), method == "chat.stopStream"
        else:
            return
        if probe.marker in text and math.isnan(probe.t_first_text):
            probe.t_first_text = stamp.at
        if final and probe.answer in text and WRITING not in text:
            probe.t_final = stamp.at
            self._pending -= 1

    def _stream(self, stamp: Stamp) -> str:
        """The text a native stream shows after this call (the calls carry only what is new)."""
        args = stamp.call.args
        ts = str(stamp.result.get("ts") or args.get("ts"))
        key = (str(args.get("channel")), ts)
        self._streams[key] = self._streams.get(key, "") + _stream_text(args)
        return self._streams[key]


def _stream_text(args: dict[str, Any]) -> str:
    chunks = args.get("chunks") or []
    pieces = [
        c.get("text", "")
        for c in chunks
        if isinstance(c, dict) and c.get("type") == "markdown_text"
    ]
    return str(args.get("markdown_text") or "") + "".join(str(p) for p in pieces)


def add_gitbook_times(gitbook: TimedGitBook, probes: list[Probe]) -> None:
    """Copy when GitBook received each question and wrote its first and last snapshot."""
    for probe in probes:
        probe.t_ask = gitbook.arrivals.get(probe.question, NAN)
        chunks = gitbook.chunk_times.get(probe.question) or [NAN]
        probe.t_chunk1, probe.t_chunk_last = chunks[0], chunks[-1]


def check_complete(slack: TimedSlack, probes: list[Probe]) -> None:
    """Mark the probes whose thread shows the whole answer and no placeholder or draft."""
    shown: dict[tuple[str, str], list[str]] = {(p.channel, p.ts): [] for p in probes}
    for (channel, _), message in slack.messages.items():
        thread = (channel, str(message.get("thread_ts")))
        if thread in shown:
            unfinished = "\n(still streaming)" if message.get("streaming") else ""
            shown[thread].append(visible_text(message) + unfinished)
    for probe in probes:
        texts = shown[(probe.channel, probe.ts)]
        leftover = any(_unfinished(text) for text in texts)
        probe.complete = any(probe.answer in t for t in texts) and not leftover


def _unfinished(text: str) -> bool:
    return any(mark in text for mark in (PLACEHOLDER, WRITING, "(still streaming)"))


def limited_channels(slack: TimedSlack) -> Counter[str]:
    """How many 429s each channel's calls received."""
    return Counter(str(stamp.call.args.get("channel")) for stamp in slack.limited)
