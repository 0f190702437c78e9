"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["native", "edit"])
def stream_mode(request: pytest.FixtureRequest) -> str:
    """STREAM_MODE for tests whose behaviour must be the same whichever way replies stream."""
    return str(request.param)
