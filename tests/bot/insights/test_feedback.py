"""Ratings and their reasons in the store; the GitBook comment a written 👎 becomes."""

from __future__ import annotations

import json

from bot.insights.feedback import FeedbackLog, feedback_comment
from bot.insights.gaps import DocGaps
from bot.store import Store
from tests.fakes.openapi import validate_request_body


async def test_a_reason_is_added_to_the_thumbs_down(store: Store) -> None:
    log = FeedbackLog(store, DocGaps(store), clock=lambda: 100.0)
    assert await log.record(answer_id="a1", rater="U1", helpful=False, question="q?")
    await log.add_reason(answer_id="a1", rater="U1", reason="out of date")
    data = json.loads(await store.get("docsbot:feedback:a1:U1") or "{}")
    assert data == {
        "v": 1,
        "helpful": False,
        "question": "q?",
        "at": 100.0,
        "reason": "out of date",
        "reason_at": 100.0,
    }
    # The rating is still once per person: the reason did not reset it.
    assert not await log.record(answer_id="a1", rater="U1", helpful=False, question="q?")


def test_the_comment_holds_question_reason_and_link_and_is_valid() -> None:
    body = feedback_comment(
        "How do I rotate?", "Old.\n\nMissing SSO.", "https://x.slack.com/archives/C1", private=False
    )
    validate_request_body("/spaces/{spaceId}/comments", "post", {"page": "p", "body": body})
    text = json.dumps(body)
    assert "How do I rotate?" in text and "Old." in text and "Missing SSO." in text
    assert "https://x.slack.com/archives/C1" in text


def test_the_comment_names_no_slack_user_even_when_the_question_did() -> None:
    body = feedback_comment(
        "What did <@U0BOSS> mean by <@W0X|wendy> and <!subteam^S0TEAM|@docs>?",
        "Ask <@U0OTHER>.",
        None,
        private=False,
    )
    text = json.dumps(body)
    assert "U0BOSS" not in text and "W0X" not in text and "wendy" not in text
    assert "S0TEAM" not in text and "U0OTHER" not in text
    assert "What did @someone mean by @someone and @someone?" in text
