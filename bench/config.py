"""What a benchmark run does: GitBook's latency and chunking, load, Slack's limits, deadline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ANSWER_CHARS = 9_000  # stays in one Slack message (the bot splits at 10,000)
# Past the bot's 500 GitBook connections, requests queue in httpcore's pool, whose bookkeeping
# is O(connections x queued requests) per request (encode/httpcore#1035): a run that size would
# not end within 2 minutes.
MAX_QUESTIONS = 500


@dataclass(frozen=True, slots=True)
class AnswerShape:
    """How the fake GitBook answers one question."""

    first_chunk_s: float = 0.8  # time from the Ask request to the first snapshot
    chunks: int = 4  # snapshots, each the whole answer so far
    chunk_gap_s: float = 0.35  # between two snapshots
    answer_chars: int = 1_200  # size of the final answer

    def __post_init__(self) -> None:
        if self.chunks < 1 or self.first_chunk_s < 0 or self.chunk_gap_s < 0:
            raise ValueError("chunks must be >= 1 and delays >= 0")
        if not 80 <= self.answer_chars <= MAX_ANSWER_CHARS:
            raise ValueError(f"answer_chars must be between 80 and {MAX_ANSWER_CHARS}")

    @property
    def duration_s(self) -> float:
        """Time from the Ask request to the last snapshot."""
        return self.first_chunk_s + (self.chunks - 1) * self.chunk_gap_s


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """One run: a steady trickle, cache hits, a burst, and the non-streaming baseline."""

    shape: AnswerShape = field(default_factory=AnswerShape)
    steady_questions: int = 10  # answered one after another, within Slack's edit budget
    steady_spacing_s: float = 0.6  # between two steady questions
    cache_questions: int = 10  # asked once to warm the cache, then again
    scale_questions: int = 200  # in flight at the same time on one process
    scale_ramp_s: float = 1.0  # the burst's questions arrive spread over this long
    update_per_minute: int = 50  # Slack's chat.update limit (Tier 3, per workspace)
    retry_after_s: int = 1  # Retry-After on chat.update 429s
    edit_interval_s: float = 1.0  # Service(edit_interval=...)
    deadline_s: float = 100.0  # the phases, hard; shutting down after a timeout takes the rest
    redis_url: str | None = None  # None: the bot's in-process store
    bot_env: tuple[tuple[str, str], ...] = ()  # more environment for the bot (STREAM_MODE=...)

    def __post_init__(self) -> None:
        counts = (self.steady_questions, self.cache_questions, self.scale_questions)
        if min(counts) < 1:
            raise ValueError("every phase needs at least one question")
        if max(counts) > MAX_QUESTIONS:
            raise ValueError(f"at most {MAX_QUESTIONS} questions per phase")
        if not 0 < self.deadline_s <= 100:
            raise ValueError("deadline_s must be within (0, 100]: every run ends within 2 minutes")

    def as_json(self) -> dict[str, Any]:
        """The configuration as plain JSON (the Redis URL reduced to whether one was used)."""
        data = asdict(self)
        data["redis_url"] = self.redis_url is not None
        data["bot_env"] = dict(self.bot_env)
        return data


def smoke_config() -> BenchConfig:
    """A few questions with small, fast answers: the whole run takes a few seconds."""
    return BenchConfig(
        shape=AnswerShape(first_chunk_s=0.05, chunks=3, chunk_gap_s=0.05, answer_chars=200),
        steady_questions=3,
        steady_spacing_s=0.05,
        cache_questions=2,
        scale_questions=5,
        scale_ramp_s=0.1,
        deadline_s=45.0,
    )
