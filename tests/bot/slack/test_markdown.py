"""Tests for bot.slack.markdown (after bot.gitbook.links, as the bot runs them).

GitBook answer markdown to text a Slack markdown block shows safely.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gitbook.links import LinkResolver, rewrite_links
from bot.slack.blocks import display_markdown
from bot.slack.markdown import ZWSP, defang, escape_mrkdwn, heal_partial, mrkdwn_link


def _displayed(markdown: str, resolver: LinkResolver, *, partial: bool) -> str:
    """The bot's own pipeline: the answer service rewrites links, messages make it displayable."""
    return display_markdown(rewrite_links(markdown, resolver), partial=partial)


PAGES = {
    "/spaces/S/pages/P": "https://docs.example.com/guide",
    "/spaces/S/pages/P#setup": "https://docs.example.com/guide#setup",
    "/pages/P": "https://docs.example.com/guide",
    "#anchor": "https://docs.example.com/here#anchor",
    "/spaces/S/files/F": "https://files.example.com/f.png",
}


def resolve(target: str) -> str | None:
    """Resolve the GitBook refs of PAGES, and nothing else."""
    return PAGES.get(target)


TABLE_IN = """\
| Option | Default | Notes |
|:--|:-:|--:|
| `timeout` | **30** | see [docs](https://x.com/t) |
| retries | 3 | |
"""

TABLE_OUT = """\
```
Option  | Default |                      Notes
--------+---------+---------------------------
timeout |   30    | see docs (https://x.com/t)
retries |    3    |
```
"""


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("# Title\n\n## Sub\n\nText.", "# Title\n\n## Sub\n\nText.", id="headings"),
        pytest.param("**b**, *i*, _u_ and ~~s~~", "**b**, *i*, _u_ and ~~s~~", id="emphasis"),
        pytest.param("- one\n- two\n\n1. a\n2. b", "- one\n- two\n\n1. a\n2. b", id="lists"),
        pytest.param("- a\n  - b\n    - c", "- a\n  - b\n    - c", id="nested-lists"),
        pytest.param(
            "```md\n[x](/pages/P) <!here>\n```",
            f"```md\n[x](/pages/P) @{ZWSP}here\n```",
            id="fenced-code-keeps-link",
        ),
        pytest.param(
            "~~~\n[x](/pages/P)\n~~~\n[y](/pages/P)",
            "~~~\n[x](/pages/P)\n~~~\n[y](https://docs.example.com/guide)",
            id="tilde-fence-keeps-link",
        ),
        pytest.param("Run `[x](/pages/P)` now", "Run `[x](/pages/P)` now", id="inline-code"),
        pytest.param(f"Intro\n\n{TABLE_IN}\nAfter", f"Intro\n\n{TABLE_OUT}\nAfter", id="table"),
        pytest.param("[a](https://a.com/x)", "[a](https://a.com/x)", id="absolute-link-kept"),
        pytest.param("[m](mailto:a@b.c)", "[m](mailto:a@b.c)", id="mailto-kept"),
        pytest.param(
            "[g](/spaces/S/pages/P)", "[g](https://docs.example.com/guide)", id="space-page-ref"
        ),
        pytest.param(
            "[g](/spaces/S/pages/P#setup)",
            "[g](https://docs.example.com/guide#setup)",
            id="page-anchor-ref",
        ),
        pytest.param(
            '[g](/pages/P "Guide")', "[g](https://docs.example.com/guide)", id="page-ref-title"
        ),
        pytest.param("See [gone](/pages/nope).", "See gone.", id="unresolvable-dropped"),
        pytest.param("[top](#anchor)", "[top](https://docs.example.com/here#anchor)", id="anchor"),
        pytest.param(
            "[w](https://en.wikipedia.org/wiki/Foo_(bar))",
            "[w](https://en.wikipedia.org/wiki/Foo_%28bar%29)",
            id="url-with-paren",
        ),
        pytest.param(
            "![d](/spaces/S/files/F)", "![d](https://files.example.com/f.png)", id="image"
        ),
        pytest.param("![lost](/spaces/S/files/X)", "lost", id="image-unresolvable"),
        pytest.param("[`a.yml`](/pages/P)", "[`a.yml`](https://docs.example.com/guide)", id="code"),
        pytest.param("[e]()", "e", id="empty-target-dropped"),
        # issue 14: only http(s) and mailto links, each showing where it really goes
        pytest.param("[click](javascript:alert(1))", "click", id="javascript-dropped"),
        pytest.param("[c](JavaScript:alert(1))", "c", id="javascript-any-case"),
        pytest.param("[d](data:text/html;base64,PHM+)", "d", id="data-dropped"),
        pytest.param("![pic](javascript:x)", "pic", id="javascript-image"),
        pytest.param("[x](https:no-host)", "x", id="http-without-host"),
        pytest.param("[A](HTTPS://A.COM/x)", "[A](HTTPS://A.COM/x)", id="scheme-case-kept"),
        pytest.param(
            "[https://docs.example.com/x](https://evil.example/x)",
            "[https://evil.example/x](https://evil.example/x)",
            id="url-label-to-another-host",
        ),
        pytest.param(
            "[**www.docs.example.com/x**](https://evil.example/x)",
            "[https://evil.example/x](https://evil.example/x)",
            id="www-label-in-bold",
        ),
        pytest.param(
            "[https://docs.example.com/a](https://www.docs.example.com/b)",
            "[https://docs.example.com/a](https://www.docs.example.com/b)",
            id="url-label-same-host-kept",
        ),
        pytest.param(
            "[docs.example.com](https://evil.example/x)",
            "[docs.example.com](https://evil.example/x)",
            id="bare-domain-label-is-text",
        ),
        pytest.param(
            "<https://evil.example/x|https://docs.example.com/x>",
            "[https://evil.example/x](https://evil.example/x)",
            id="mrkdwn-url-label-to-another-host",
        ),
        pytest.param(
            "See <https://docs.example.com/x|the guide>.",
            "See [the guide](https://docs.example.com/x).",
            id="mrkdwn-link-becomes-markdown",
        ),
        pytest.param("<javascript:alert(1)|click>", "click", id="mrkdwn-javascript"),
        pytest.param("<javascript:alert(1)>", "javascript:alert(1)", id="javascript-autolink"),
        pytest.param("<https://a.com/x>", "<https://a.com/x>", id="autolink-kept"),
        pytest.param(
            "`<javascript:x|y>` and `[a](javascript:b)`",
            "`<javascript:x|y>` and `[a](javascript:b)`",
            id="code-left-alone",
        ),
    ],
)
def test_pipeline_golden(markdown: str, expected: str) -> None:
    assert _displayed(markdown, resolve, partial=False) == expected


ANSWER_IN = """\
## Configure the bot

Set **`TOKEN`** in [settings](/spaces/S/pages/P#setup), see [old page](/pages/gone).

| Key | Required |
|---|---|
| `TOKEN` | yes |

```bash
export TOKEN=x  # see [docs](/pages/P)
```

Ping <!channel> if stuck."""

ANSWER_OUT = f"""\
## Configure the bot

Set **`TOKEN`** in [settings](https://docs.example.com/guide#setup), see old page.

```
Key   | Required
------+---------
TOKEN | yes
```

```bash
export TOKEN=x  # see [docs](/pages/P)
```

Ping @{ZWSP}channel if stuck."""


@pytest.mark.parametrize(
    "partial", [pytest.param(False, id="final"), pytest.param(True, id="partial")]
)
def test_pipeline_whole_answer(partial: bool) -> None:
    assert _displayed(ANSWER_IN, resolve, partial=partial) == ANSWER_OUT


def test_pipeline_partial_closes_fence_and_table() -> None:
    cut = ANSWER_IN[: ANSWER_IN.index("x  # see")]
    out = _displayed(cut, resolve, partial=True)
    assert out.endswith("```bash\nexport TOKEN=\n```")
    assert "TOKEN | yes" in out


def test_a_resolver_answering_javascript_drops_the_link() -> None:
    assert rewrite_links("See [x](/pages/Q).", lambda _: "javascript:alert(1)") == "See x."


def test_a_cut_mrkdwn_link_is_hidden_while_streaming() -> None:
    out = _displayed("See <https://evil.example/x|https://docs.exa", resolve, partial=True)
    assert out == "See"


def test_resolver_result_with_paren_is_encoded() -> None:
    out = rewrite_links("[x](/pages/Q)", lambda _: "https://a.com/a (b)")
    assert out == "[x](https://a.com/a%20%28b%29)"


def test_pipeline_never_resolves_a_cut_link() -> None:
    seen: list[str] = []

    def record(target: str) -> str | None:
        seen.append(target)
        return resolve(target)

    out = _displayed("See [guide](/pages/P) and **[cut](/spa", record, partial=True)
    assert out == "See [guide](https://docs.example.com/guide) and **cut**"
    assert seen == ["/pages/P"]


SHAPES = [
    "<!here>",
    "<!here|here>",
    "<!channel|channel>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S1|@devs>",
    "<!subteam^S2>",
    "<@U123>",
    "<@W1|bob>",
    "@here",
    "@channel",
    "@everyone",
    "@Here",
]


def assert_defanged(text: str) -> None:
    """Fail if ``text`` still holds a notification Slack could act on."""
    assert "<!" not in text
    assert "<@" not in text
    assert not re.search(r"@(?:here|channel|everyone)", text, re.IGNORECASE)


@pytest.mark.parametrize("shape", [pytest.param(s, id=s) for s in SHAPES])
def test_defang_every_notification_shape(shape: str) -> None:
    out = defang(f"hi {shape} there")
    assert_defanged(out)
    assert f"@{ZWSP}" in out
    assert defang(out) == out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<!subteam^S1|@devs>", f"@{ZWSP}devs", id="subteam-label"),
        pytest.param("<!subteam^S1>", f"@{ZWSP}subteam", id="subteam-bare"),
        pytest.param("<@W1|bob>", f"@{ZWSP}bob", id="user-label"),
        pytest.param("<@U123>", f"@{ZWSP}U123", id="user-id"),
        pytest.param("<!here|x<!here>>", f"@{ZWSP}x@{ZWSP}here", id="tag-rebuilt-by-removal"),
        pytest.param("a@heretic and @channels", "a@heretic and @channels", id="longer-words"),
        pytest.param("<!DOCTYPE html>", "<!DOCTYPE html>", id="html-doctype-kept"),
    ],
)
def test_defang_exact(text: str, expected: str) -> None:
    assert defang(text) == expected


LIVE_MENTION = (
    r"(?i:<!(?:here|channel|everyone|subteam\^)[^<>]*>|@(?:here|channel|everyone)\b)"
    r"|<@[A-Z][A-Z0-9]*(?:\|[^<>]*)?>"
)
MENTION_BITS = st.sampled_from(["<", ">", "!", "@", "|", "^", "here", "channel", "U1", "subteam"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(MENTION_BITS, st.text(max_size=5)), max_size=30).map("".join))
def test_defang_is_idempotent_and_complete(text: str) -> None:
    once = defang(text)
    assert defang(once) == once
    assert not re.search(LIVE_MENTION, once)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a & b < c > d", "a &amp; b &lt; c &gt; d", id="three-chars"),
        pytest.param("&amp; &lt; &gt;", "&amp; &lt; &gt;", id="no-double-escape"),
        pytest.param("&nbsp; *x*", "&amp;nbsp; *x*", id="other-entity-escaped"),
        pytest.param("<!here> hi", f"@{ZWSP}here hi", id="defangs"),
    ],
)
def test_escape_mrkdwn(text: str, expected: str) -> None:
    assert escape_mrkdwn(text) == expected
    assert escape_mrkdwn(expected) == expected


@pytest.mark.parametrize(
    ("url", "label", "expected"),
    [
        pytest.param("https://a.com/p", "Page", "<https://a.com/p|Page>", id="plain"),
        pytest.param(
            "https://a.com/a b|c>d<",
            "x | y > z",
            "<https://a.com/a%20b%7Cc%3Ed%3C|x ¦ y &gt; z>",
            id="breakers",
        ),
        pytest.param(
            "https://a.com", "A &\nB <!here>", f"<https://a.com|A &amp; B @{ZWSP}here>", id="ml"
        ),
        pytest.param("https://a.com", "  ", "<https://a.com>", id="empty-label"),
        pytest.param("javascript:alert(1)", "Docs <x>", "Docs &lt;x&gt;", id="javascript-text"),
        pytest.param("data:text/html,x", "Docs", "Docs", id="data-text"),
        pytest.param(
            "https://evil.example/x",
            "https://docs.example.com/x",
            "<https://evil.example/x|https://evil.example/x>",
            id="url-title-to-another-host",
        ),
        pytest.param("mailto:a@b.c", "Mail us", "<mailto:a@b.c|Mail us>", id="mailto"),
    ],
)
def test_mrkdwn_link(url: str, label: str, expected: str) -> None:
    assert mrkdwn_link(url, label) == expected


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        pytest.param("Use **bold", "Use **bold**", id="inside-bold"),
        pytest.param("Use **bold and *it", "Use **bold and *it***", id="nested-emphasis"),
        pytest.param("x __y", "x __y__", id="underscore-bold"),
        pytest.param("x ~~gone", "x ~~gone~~", id="strike"),
        pytest.param("Use **", "Use", id="bare-opener"),
        pytest.param("**bold **", "**bold**", id="trailing-space"),
        pytest.param("```py\nprint(1)", "```py\nprint(1)\n```", id="inside-fence"),
        pytest.param("```py\nprint(1)\n", "```py\nprint(1)\n```", id="fence-after-newline"),
        pytest.param("````\na\n``", "````\na\n````", id="cut-closing-fence"),
        pytest.param("```py\n[x](/spa", "```py\n[x](/spa\n```", id="link-inside-fence-kept"),
        pytest.param("See [text](/spa", "See text", id="inside-link-target"),
        pytest.param('See [text](/pages/P "ti', "See text", id="inside-link-title"),
        pytest.param("See [tex", "See tex", id="inside-link-text"),
        pytest.param("See [text]", "See text", id="after-link-text"),
        pytest.param("See ![alt](/sp", "See alt", id="inside-image"),
        pytest.param("[a](https://x.com/a_(b)", "a", id="unbalanced-paren-target"),
        pytest.param("**[cut](/pa", "**cut**", id="link-in-bold"),
        pytest.param("Run `pip inst", "Run `pip inst`", id="inside-inline-code"),
        pytest.param("Run ``a ` b", "Run ``a ` b``", id="double-tick-code"),
        pytest.param("Run `[x](/p", "Run `[x](/p`", id="link-inside-open-code-kept"),
        pytest.param("Run `", "Run ", id="bare-tick"),
        pytest.param("**see `co", "**see `co`**", id="code-in-bold"),
    ],
)
def test_heal_partial_cut_points(snapshot: str, expected: str) -> None:
    assert heal_partial(snapshot) == expected


@pytest.mark.parametrize(
    "complete",
    [
        pytest.param("# Title\n\n**b** *i* _u_ ~~s~~", id="emphasis"),
        pytest.param("- item\n* star item\n  - nested", id="lists"),
        pytest.param("snake_case, __init__.py and 2 * 3 = 6", id="literal-delimiters"),
        pytest.param("[a](https://x.com/a_b*c) ![i](/p)", id="links"),
        pytest.param("Visit https://x.com/_next/*", id="bare-url"),
        pytest.param("`a*b` and ``x`y``", id="code-spans"),
        pytest.param("```\n**open\n```", id="closed-fence"),
        pytest.param(TABLE_IN, id="table"),
        pytest.param("a\n\n***", id="thematic-break"),
        pytest.param("> quote **b**\n", id="quote"),
        pytest.param("[note] here", id="bracket-text"),
        pytest.param("", id="empty"),
    ],
)
def test_heal_partial_leaves_complete_markdown(complete: str) -> None:
    assert heal_partial(complete) == complete
