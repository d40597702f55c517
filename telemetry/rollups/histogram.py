"""The latency histogram every rollup row carries.

Bucket bounds are log-spaced in (1 + ms): bucket i (1..128) holds response
times x with (i-1)·W <= ln(1 + x) < i·W, W = ln(60001)/128 ≈ 0.0860, so
1 ms…60 s is covered by 128 buckets; slot 129 holds everything from 60 s on
(slot 0, below 0 ms, stays empty). TimescaleDB's `histogram()` builds it in
both editions and `malti_hist_pack()` stores only its non-empty slots;
`malti_hist_merge()` adds histograms slot by slot, so they merge exactly
across any filter and time range.

A percentile is the nearest-rank value (PostgreSQL's percentile_disc): find
the bucket holding rank ceil(q·n) and report its geometric midpoint in
(1 + x), clamped to the whole milliseconds the bucket can hold and to the
group's min/max. The true value shares that bucket, so the estimate is off by
at most 0.0439·(1 + x): exact below about 10 ms (a bucket there holds a
single integer), within 4.9 % from 10 ms to 60 s. Beyond 60 s the estimate is
the group's maximum.
"""

import math

BUCKETS = 128
UPPER_MS = 60_000
WIDTH = math.log(1 + UPPER_MS) / BUCKETS
SLOTS = BUCKETS + 2
MAX_RELATIVE_ERROR = math.exp(WIDTH / 2) - 1  # on (1 + x)

# The SQL expression that builds a packed histogram from raw response times.
HISTOGRAM_SQL = f"malti_hist_pack(histogram(ln(1 + response_time), 0, ln({1 + UPPER_MS}), {BUCKETS}))"
SLOT_SHIFT = 32
COUNT_MASK = (1 << SLOT_SHIFT) - 1


def unpack(packed) -> list[int]:
    """Dense slot counts from the packed form (slot * 2^32 + count per non-empty slot)."""
    dense = [0] * SLOTS
    for entry in packed or ():
        dense[entry >> SLOT_SHIFT] += entry & COUNT_MASK
    return dense


def merge(histograms) -> list[int]:
    """Packed histograms added slot by slot, packed again (what malti_hist_merge does in SQL)."""
    dense = [0] * SLOTS
    for packed in histograms:
        for entry in packed or ():
            dense[entry >> SLOT_SHIFT] += entry & COUNT_MASK
    return [(slot << SLOT_SHIFT) + count for slot, count in enumerate(dense) if count]


def _bounds(slot: int) -> tuple[float, float]:
    """Whole-millisecond range [low, high] that slot can hold."""
    low = math.exp((slot - 1) * WIDTH) - 1
    high = math.exp(slot * WIDTH) - 1
    return math.ceil(low - 1e-9), math.ceil(high - 1e-9) - 1


def slot_estimate(slot: int) -> float:
    mid = math.exp((slot - 0.5) * WIDTH) - 1
    low, high = _bounds(slot)
    return min(max(mid, low), max(low, high))


# Computed once: a time series asks for four estimates per point.
ESTIMATES = [slot_estimate(max(slot, 1)) for slot in range(BUCKETS + 1)]


def slot_of(ms: int) -> int:
    """Which slot a response time lands in (mirrors TimescaleDB's histogram())."""
    if ms >= UPPER_MS:
        return BUCKETS + 1
    return min(BUCKETS, int(math.log(1 + ms) / WIDTH) + 1)


def percentiles(histogram, quantiles, minimum=None, maximum=None) -> list[float | None]:
    """Nearest-rank percentile estimates from a packed histogram."""
    # Walks the packed entries (in slot order) without unpacking: a time
    # series asks this of every point.
    entries = sorted(histogram or ())
    total = sum(entry & COUNT_MASK for entry in entries)
    if total == 0:
        return [None] * len(quantiles)
    ranks = [max(1, math.ceil(q * total - 1e-9)) for q in quantiles]
    results: list[float | None] = [None] * len(quantiles)
    pending = iter(sorted(range(len(quantiles)), key=lambda i: ranks[i]))
    current = next(pending, None)
    seen = 0
    for entry in entries:
        seen += entry & COUNT_MASK
        slot = entry >> SLOT_SHIFT
        while current is not None and ranks[current] <= seen:
            if slot >= BUCKETS + 1:
                value = maximum if maximum is not None else UPPER_MS
            else:
                value = ESTIMATES[slot]
            if minimum is not None:
                value = max(value, minimum)
            if maximum is not None:
                value = min(value, maximum)
            results[current] = round(value, 1)
            current = next(pending, None)
        if current is None:
            break
    return results
