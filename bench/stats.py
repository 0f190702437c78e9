"""Distributions as the report shows them: count, p50, p95, p99, max."""

from __future__ import annotations

import math
from collections.abc import Iterable

Distribution = dict[str, float | int | None]


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th quantile (0..1) of sorted values, linearly interpolated (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = q * (len(sorted_values) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = rank - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def distribution(values: Iterable[float], *, digits: int = 1) -> Distribution:
    """Summarize values (NaNs dropped); every statistic is None when nothing is left."""
    kept = sorted(v for v in values if not math.isnan(v))
    if not kept:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "n": len(kept),
        "p50": round(percentile(kept, 0.50), digits),
        "p95": round(percentile(kept, 0.95), digits),
        "p99": round(percentile(kept, 0.99), digits),
        "max": round(kept[-1], digits),
    }


def ms(seconds: float) -> float:
    """Seconds to milliseconds (NaN stays NaN)."""
    return seconds * 1000.0
