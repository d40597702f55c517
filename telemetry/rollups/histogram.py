"""The latency histogram every rollup row carries.

Bucket bounds are log-spaced in (1 + ms): slot i (1..128) holds response
times x with (i-1)·W <= ln(1 + x) < i·W, W = ln(60001)/128 ≈ 0.0860, so
1 ms…60 s is covered by 128 slots; slot 129 holds everything from 60 s on
(slot 0, below 0 ms, is always empty and not stored). TimescaleDB's
`histogram()` counts raw response times into slots in both editions.

A rollup stores slot i in its own column `h<i>`, NULL when empty. Merging
histograms across rows is then PostgreSQL's native `sum()` per column, about
ten times faster than adding arrays in plpgsql, and NULLs take no space, so
the rows stay as small as a packed array would make them. Histograms merge
exactly across any filter and time range. The column type is the level's
(catalog.Level.slot_type): INTEGER where a bucket cannot reach 2^31 - 1
requests in one slot, BIGINT from the 1-hour level up.

A percentile is the nearest-rank value (PostgreSQL's percentile_disc): find
the slot holding rank ceil(q·n) and report its geometric midpoint in
(1 + x), clamped to the whole milliseconds the slot can hold and to the
group's min/max. The true value shares that slot, so the estimate is off by
at most 0.0439·(1 + x): exact below about 10 ms (a slot there holds a
single integer), within 4.9 % from 10 ms to 60 s. Beyond 60 s the estimate is
the group's maximum.
"""

import math

BUCKETS = 128
UPPER_MS = 60_000
WIDTH = math.log(1 + UPPER_MS) / BUCKETS
SLOTS = BUCKETS + 2
MAX_RELATIVE_ERROR = math.exp(WIDTH / 2) - 1  # on (1 + x)

STORED_SLOTS = range(1, SLOTS)
HISTOGRAM_COLUMNS = tuple(f"h{slot}" for slot in STORED_SLOTS)
# TimescaleDB's histogram() of raw response times: an array of all SLOTS, 1-based.
RAW_HISTOGRAM_SQL = f"histogram(ln(1 + response_time), 0, ln({1 + UPPER_MS}), {BUCKETS})"
# Each histogram column from raw rows (PostgreSQL computes the shared aggregate
# once), and from rollup rows merged.
RAW_HISTOGRAM_MEASURES = {f"h{slot}": f"NULLIF(({RAW_HISTOGRAM_SQL})[{slot + 1}], 0)" for slot in STORED_SLOTS}


def rollup_histogram_measures(slot_type: str) -> dict[str, str]:
    """Each histogram column merged from rollup rows, as the level's column type."""
    return {column: f"sum({column})::{slot_type}" for column in HISTOGRAM_COLUMNS}


# Rows merged into one array a query returns: counts of slots 1..129, NULL for empty ones.
# (sum() of a BIGINT column is numeric: cast back, a query's total never nears 2^63.)
MERGED_HISTOGRAM_SQL = "ARRAY[" + ", ".join(f"sum(h{slot})::bigint" for slot in STORED_SLOTS) + "]"


def merge(histograms) -> list[int]:
    """Histograms (counts of slots 1..129, None for 0) added slot by slot."""
    total = [0] * len(STORED_SLOTS)
    for histogram in histograms:
        for index, count in enumerate(histogram or ()):
            if count:
                total[index] += count
    return total


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
    """Nearest-rank percentile estimates from a histogram (counts of slots 1..129, None for 0)."""
    counts = [count or 0 for count in histogram or ()]
    total = sum(counts)
    if total == 0:
        return [None] * len(quantiles)
    ranks = [max(1, math.ceil(q * total - 1e-9)) for q in quantiles]
    results: list[float | None] = [None] * len(quantiles)
    pending = iter(sorted(range(len(quantiles)), key=lambda i: ranks[i]))
    current = next(pending, None)
    seen = 0
    for slot, count in enumerate(counts, start=STORED_SLOTS.start):
        if not count:
            continue
        seen += count
        while current is not None and ranks[current] <= seen:
            value = (maximum if maximum is not None else UPPER_MS) if slot >= BUCKETS + 1 else ESTIMATES[slot]
            if minimum is not None:
                value = max(value, minimum)
            if maximum is not None:
                value = min(value, maximum)
            results[current] = round(value, 1)
            current = next(pending, None)
        if current is None:
            break
    return results
