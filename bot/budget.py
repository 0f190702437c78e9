"""A per-workspace budget for intermediate edits.

`chat.update` is Tier 3 (about 50 a minute per workspace, shared by every reply). Final
edits always go out; intermediate edits are spent from this budget, so a burst of
answers slows their growth instead of running into 429s and freezing.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class EditBudget:
    """A sliding one-minute window of edits per workspace."""

    def __init__(self, per_minute: int = 40, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._spent: defaultdict[str, deque[float]] = defaultdict(deque)

    def _window(self, workspace: str) -> deque[float]:
        window = self._spent[workspace]
        horizon = self._clock() - WINDOW_SECONDS
        while window and window[0] <= horizon:
            window.popleft()
        return window

    def try_spend(self, workspace: str) -> bool:
        """Spend one intermediate edit if the window has room; say whether it did."""
        window = self._window(workspace)
        if len(window) >= self._per_minute:
            return False
        window.append(self._clock())
        return True

    def record(self, workspace: str) -> None:
        """Count an edit that goes out regardless (a final one)."""
        self._window(workspace).append(self._clock())
