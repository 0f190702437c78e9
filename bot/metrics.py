"""Prometheus metrics for operators: questions, latency, Slack calls and 429s, load, cache.

prometheus-client does the counting and the text format; this module only names the series
(CONTRACT.md's list) and gives each process its own registry, so several services in one test
process never collide. `GET /metrics` serves `Metrics.render()`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Slack shows first words within ~1 s when all is well; GitBook's first chunk takes 1-3 s.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Every series the bot exports, in one registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.questions = Counter(
            "docsbot_questions",
            "Questions handled, by Slack surface and how they ended.",
            ["surface", "outcome"],
            registry=registry,
        )
        self.answer_first_text = Histogram(
            "docsbot_answer_first_text_seconds",
            "From a question reaching the answer path to its first text handed to Slack.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.gitbook_first_chunk = Histogram(
            "docsbot_gitbook_first_chunk_seconds",
            "From an Ask request to GitBook's first answer snapshot.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.slack_calls = Counter(
            "docsbot_slack_calls",
            "Slack Web API calls, by method and result (ok, or Slack's error code).",
            ["method", "result"],
            registry=registry,
        )
        self.slack_ratelimited = Counter(
            "docsbot_slack_ratelimited",
            "HTTP 429 answers from Slack, by method.",
            ["method"],
            registry=registry,
        )
        self.answers_in_flight = Gauge(
            "docsbot_answers_in_flight",
            "Answers being written to Slack right now.",
            registry=registry,
        )
        self.cache_hits = Counter(
            "docsbot_cache_hits", "Questions answered from the answer cache.", registry=registry
        )

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)
