from __future__ import annotations

import pytest

from bot.slack.inbound import question_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<@UBOT> how do I rotate a key?", "how do I rotate a key?", id="leading"),
        pytest.param("so <@UBOT|docsbot>   what is SSO", "so what is SSO", id="labelled-middle"),
        pytest.param("<@UBOT>", "", id="bare-mention"),
        pytest.param("ask <@U999> about <#C1|general>", "ask @someone about #general", id="others"),
        pytest.param("see <https://x.io/a|the page>", "see the page", id="link-label"),
        pytest.param("see <https://x.io/a>", "see https://x.io/a", id="bare-link"),
        pytest.param("a &lt;b&gt; &amp; c", "a <b> & c", id="entities"),
        pytest.param("<!here> help", "@here help", id="special"),
    ],
)
def test_question_text_strips_the_bot_mention_and_slack_markup(text: str, expected: str) -> None:
    assert question_text(text, "UBOT") == expected
