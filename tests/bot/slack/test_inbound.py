from __future__ import annotations

import pytest

from bot.slack.inbound import question_text, reads_as_question


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


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("How do I rotate an API key", id="how"),
        pytest.param("what is SSO", id="what"),
        pytest.param("Why does the export fail", id="why"),
        pytest.param("where are the webhooks documented", id="where"),
        pytest.param("When does a token expire", id="when"),
        pytest.param("Which plan includes SAML", id="which"),
        pytest.param("who owns the billing page", id="who"),
        pytest.param("Can I invite guests", id="can"),
        pytest.param("could we export to PDF", id="could"),
        pytest.param("Does the API support pagination", id="does"),
        pytest.param("do webhooks retry", id="do"),
        pytest.param("Is there a rate limit", id="is"),
        pytest.param("are drafts private", id="are"),
        pytest.param("Should I use OAuth here", id="should"),
        pytest.param("Will exports keep images", id="will"),
        pytest.param("SSO setup with Okta?", id="ends-with-question-mark"),
        pytest.param("anyone know the SSO setup steps?  ", id="question-mark-then-spaces"),
        pytest.param("see <https://x.io/a|this page> - is it current?", id="link-inside"),
    ],
)
def test_reads_as_question(text: str) -> None:
    assert reads_as_question(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("hi", id="greeting"),
        pytest.param("Hello everyone!", id="greeting-to-all"),
        pytest.param("good morning team :wave:", id="good-morning"),
        pytest.param("thanks!", id="thanks"),
        pytest.param("Thank you so much, that fixed it", id="thank-you"),
        pytest.param("<https://docs.example.com/sso>", id="link-alone"),
        pytest.param(
            "<https://docs.example.com/sso?x=1|https://docs.example.com/sso?>", id="url-?"
        ),
        pytest.param("```how does this work?\nfoo()```", id="code-paste"),
        pytest.param("```\nif x?y:z\n```", id="code-with-question-mark"),
        pytest.param("why?", id="one-word"),
        pytest.param("???", id="punctuation-only"),
        pytest.param("<@U999> can you review my PR?", id="addressed-to-a-person"),
        pytest.param("<!here> is the build green?", id="addressed-to-everyone"),
        pytest.param("Deployed the new docs theme today", id="statement"),
        pytest.param("lol", id="reaction-word"),
    ],
)
def test_does_not_read_as_question(text: str) -> None:
    assert not reads_as_question(text)
