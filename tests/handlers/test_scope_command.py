"""Which `/docs` texts are scope commands (the rest stay questions)."""

from __future__ import annotations

import pytest

from handlers.scope_command import is_scope_request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("scope", True, id="alone"),
        pytest.param("  Scope  ", True, id="spaces-and-case"),
        pytest.param("scope all", True, id="all"),
        pytest.param("scope Guides, sitesp_2", True, id="spaces"),
        pytest.param("scoped tokens?", False, id="another-word"),
        pytest.param("what is the scope of SSO?", False, id="a-question"),
        pytest.param("", False, id="empty"),
    ],
)
async def test_scope_matcher(text: str, expected: bool) -> None:
    assert await is_scope_request({"text": text}) is expected
