"""What operators see: `/metrics` series and `/readyz`, from the real app over HTTP."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import RunningBot, mention, running_bot
from tests.fakes.gitbook import DoneEvent, FakeGitBook, Snapshot, page_source
from tests.fakes.slack_api import FakeSlack, visible_text


def _answer(gitbook: FakeGitBook) -> None:
    gitbook.add_site_space("space_1", "https://docs.example.com/")
    gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    gitbook.script_ask([Snapshot("Counted answer.", sources=[page_source()]), DoneEvent()])


async def _samples(bot: RunningBot) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await bot.client.get(f"{bot.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _answered(slack: FakeSlack, text: str, count: int) -> None:
    await slack.wait_until(
        lambda: (
            sum(
                text in visible_text(m) and "Sources" in visible_text(m) and not m.get("streaming")
                for m in slack.messages.values()
            )
            == count
        )
    )


async def test_metrics_count_questions_latency_slack_calls_and_cache_hits(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    _answer(fake_gitbook)
    async with running_bot(fake_slack, fake_gitbook) as bot:
        before = await _samples(bot)
        assert _value(before, "docsbot_questions_total", surface="mention", outcome="answered") == 0
        fake_slack.rate_limit_next("chat.postMessage", retry_after=1)
        await bot.event(mention("how are questions counted?"))
        await _answered(fake_slack, "Counted answer.", 1)
        await bot.event(mention("How are questions counted"))  # the cache answers this one
        await _answered(fake_slack, "Counted answer.", 2)
        after = await _samples(bot)
    answered = _value(after, "docsbot_questions_total", surface="mention", outcome="answered")
    assert answered == 2
    assert _value(after, "docsbot_cache_hits_total") == 1
    assert _value(after, "docsbot_gitbook_first_chunk_seconds_count") == 1
    assert _value(after, "docsbot_answer_first_text_seconds_count") == 2
    assert _value(after, "docsbot_answers_in_flight") == 0
    assert _value(after, "docsbot_slack_ratelimited_total", method="chat.postMessage") == 1
    posts = _value(after, "docsbot_slack_calls_total", method="chat.postMessage", result="ok")
    assert posts >= 2


async def test_readyz_says_ready_once_serving_and_healthz_stays_live(
    fake_slack: FakeSlack, fake_gitbook: FakeGitBook
) -> None:
    async with running_bot(fake_slack, fake_gitbook) as bot:
        ready = await bot.client.get(f"{bot.url}/readyz")
        health = await bot.client.get(f"{bot.url}/healthz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "redis": "memory", "ready": True}
    assert health.json() == {"status": "ok", "redis": "memory"}
