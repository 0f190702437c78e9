"""Comment bodies are GitBook JSON documents valid against PostCommentSchema."""

from __future__ import annotations

import jsonschema
import pytest

from bot.gitbook.comments import Line, comment_body
from tests.fakes.openapi import validate_request_body, validate_schema


def test_each_line_is_a_paragraph_with_a_bold_label_text_and_link() -> None:
    body = comment_body(
        [
            Line("Question:", "how do I rotate a key?"),
            Line("Conversation:", link="https://test.slack.com/archives/C1/p1700000000000100"),
        ]
    )
    validate_schema("Document", body)
    validate_request_body("/spaces/{spaceId}/comments", "post", {"page": "page_1", "body": body})
    question, conversation = body["document"]["nodes"]
    assert question["type"] == "paragraph"
    label, text = question["nodes"]
    assert label["leaves"][0] == {
        "object": "leaf",
        "text": "Question:",
        "marks": [{"object": "mark", "type": "bold"}],
    }
    assert text["leaves"][0]["text"] == " how do I rotate a key?"
    link = conversation["nodes"][-1]
    assert link["type"] == "link"
    assert link["data"]["ref"] == {
        "kind": "url",
        "url": "https://test.slack.com/archives/C1/p1700000000000100",
    }


def test_the_schema_check_is_real() -> None:
    body = comment_body([Line("Question:", "q")])
    del body["document"]["nodes"][0]["nodes"][0]["leaves"][0]["marks"]  # marks are required
    with pytest.raises(jsonschema.ValidationError):
        validate_request_body("/spaces/{spaceId}/comments", "post", {"body": body})
