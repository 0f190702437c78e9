"""The theoretical best for a scenario: what any bot could show under the same Slack limits.

Every reply needs one creating call (`chat.startStream`, 20 a minute per workspace, or
`chat.postMessage`, per channel: a bucket of 5 refilled at 1 a second) and can show two states
with one more call (a `chat.stopStream` paired with its start, or one final `chat.update`,
50 a minute per workspace, after a first post that already carries the first words). A reply
that gets neither pair is posted once, complete. GitBook is taken to answer at once: the first
words `first_chunk_s` after the event, the whole answer `duration_s` after it.

Greedy, in order of first words: a native stream while the stream window has room, else a
first-words post (at the channel's next token) and a final edit while the edit window has
room, else one post of the whole answer (at the channel's next token once it is ready).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

STARTS_PER_MINUTE = 20  # chat.startStream and chat.stopStream, Tier 2
UPDATES_PER_MINUTE = 50  # chat.update, Tier 3
POST_BURST = 5  # chat.postMessage per channel: bursts of 5 ...
POSTS_PER_SECOND = 1.0  # ... refilled at 1 a second
WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class Arrival:
    """One question: when its event was sent, and in which channel."""

    at: float
    channel: str


@dataclass(frozen=True, slots=True)
class BestReply:
    """What the best plan shows for one question (times from its event, seconds)."""

    first_text_s: float
    complete_s: float
    grows: bool  # shows its first words before its final answer


def best_replies(
    arrivals: list[Arrival], *, first_chunk_s: float, duration_s: float, latency_s: float = 0.0
) -> list[BestReply]:
    """The best plan's replies, in the order of arrivals."""
    order = sorted(range(len(arrivals)), key=lambda i: arrivals[i].at)
    starts: list[float] = []
    finals: list[float] = []
    kinds: dict[int, str] = {}
    requests: defaultdict[str, list[tuple[float, int]]] = defaultdict(list)
    for i in order:
        words, done = arrivals[i].at + first_chunk_s, arrivals[i].at + duration_s
        # Stops follow their starts by the same gap, so the start window speaks for both.
        if _room(starts, words, STARTS_PER_MINUTE):
            starts.append(words)
            kinds[i] = "native"
        elif _room(finals, done, UPDATES_PER_MINUTE):
            finals.append(done)
            kinds[i] = "edits"
            requests[arrivals[i].channel].append((words, i))
        else:
            kinds[i] = "once"
            requests[arrivals[i].channel].append((done, i))
    posted = _post_times(requests)
    return [
        _reply(arrivals[i], kinds[i], posted.get(i), first_chunk_s, duration_s, latency_s)
        for i in range(len(arrivals))
    ]


def _room(times: list[float], at: float, per_minute: int) -> bool:
    """Whether one more call at `at` (no earlier than any in times) keeps its minute within."""
    return sum(1 for t in times if at - WINDOW_S < t <= at) < per_minute


def _post_times(requests: dict[str, list[tuple[float, int]]]) -> dict[int, float]:
    """Each channel's posts, in order of readiness, through its token bucket."""
    posted: dict[int, float] = {}
    for queue in requests.values():
        tokens, clock = float(POST_BURST), 0.0
        for ready, index in sorted(queue):
            at = max(ready, clock)
            tokens = min(float(POST_BURST), tokens + (at - clock) * POSTS_PER_SECOND)
            if tokens < 1.0:
                at += (1.0 - tokens) / POSTS_PER_SECOND
                tokens = 1.0
            tokens -= 1.0
            clock = at
            posted[index] = at
    return posted


def _reply(
    arrival: Arrival,
    kind: str,
    posted: float | None,
    first_chunk_s: float,
    duration_s: float,
    latency_s: float,
) -> BestReply:
    if kind == "native":
        return BestReply(first_chunk_s + latency_s, duration_s + latency_s, True)
    assert posted is not None
    shown = posted - arrival.at + latency_s
    if kind == "edits":
        return BestReply(shown, max(shown, duration_s + latency_s), True)
    return BestReply(shown, shown, False)
