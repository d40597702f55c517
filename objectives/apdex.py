"""Apdex and "share within a threshold", estimated from the rollups' latency histograms.

Apdex = (satisfied + tolerating / 2) / total, satisfied: response time <= T,
tolerating: T < time <= 4T, frustrated beyond; it is (at_most(T) + at_most(4T)) / 2
requests over the total. Every request counts by its response time, whatever its
status, as every latency in Malti does: the histograms are not kept per status,
so a 5xx cannot be told apart inside them (errors have their own measures and
the availability objective).

A histogram slot holds the whole milliseconds [low, high] (histogram.py); the
group's exact min and max narrow the first and last slots. A slot wholly at or
below the limit counts in full, one wholly above counts nothing, and the one
slot that straddles the limit counts pro rata, as if its requests were spread
evenly over the whole milliseconds it can hold. So at_most(limit) is off by at
most that slot's count, and Apdex by at most half the share of requests in the
slots holding T and 4T. A slot spans about 9 % of (1 + ms): only requests within
9 % of T or 4T can be misjudged; below about 10 ms a slot holds one value, and
the estimate is exact.
"""

import math

from telemetry.rollups.histogram import BUCKETS, STORED_SLOTS, UPPER_MS
from telemetry.rollups.histogram import _bounds as slot_bounds


def _slot_range(slot: int) -> tuple[float, float]:
    if slot > BUCKETS:
        return UPPER_MS, math.inf  # the overflow slot: 60 s and beyond
    return slot_bounds(slot)


def at_most(histogram, limit_ms: float, minimum=None, maximum=None) -> float:
    """Estimated number of requests with response time <= limit_ms (see the module's rule)."""
    counted = 0.0
    for slot, count in enumerate(histogram or (), start=STORED_SLOTS.start):
        if not count:
            continue
        low, high = _slot_range(slot)
        # Every request of the group lies within its exact min and max.
        if minimum is not None:
            low = max(low, minimum)
        if maximum is not None:
            high = min(high, maximum)
        high = max(high, low)  # (a min or max inside the slot cannot empty it: it holds requests)
        if high <= limit_ms:
            counted += count
        elif low > limit_ms or math.isinf(high):
            continue  # above; or beyond 60 s with no known maximum: counted as above
        else:
            counted += count * (math.floor(limit_ms) - low + 1) / (high - low + 1)
    return counted


def apdex_score(histogram, t_ms: float, minimum=None, maximum=None) -> float:
    """satisfied + tolerating / 2, in requests: additive across groups, so groups combine by counts."""
    return (at_most(histogram, t_ms, minimum, maximum) + at_most(histogram, 4 * t_ms, minimum, maximum)) / 2


def row_apdex_score(row: dict, t_ms: float) -> float | None:
    """The score of a metrics row (count, time_min, time_max, histogram); None without a histogram."""
    if not row.get("count"):
        return 0.0
    if row.get("histogram") is None:
        return None
    return apdex_score(row["histogram"], t_ms, row["time_min"], row["time_max"])


def apdex_value(score: float | None, total: int) -> float | None:
    """Apdex from a score and the request count: 0..1, None without requests."""
    if not total or score is None:
        return None
    return round(min(1.0, max(0.0, score / total)), 4)
