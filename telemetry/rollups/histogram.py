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


# The standard normal quantile of 0.95: a log-normal's p95 is exp(mu + Z95 * sigma).
Z95 = 1.6448536269514722


def estimate_slots(count: int, minimum: int, maximum: int, mean: float, p95: float | None) -> dict[int, int]:
    """A histogram (slot -> count) for a bucket known only by its count, min, max, mean and p95.

    Up to three requests it is exact: the values are the minimum, the maximum
    and what the mean leaves for the third. Beyond, it is a log-normal fitted
    to the mean and the p95 (sigma from ln(p95 / mean) = Z95·sigma − sigma²/2;
    when no sigma fits both, the one that keeps the p95), cut to [min, max],
    with the minimum and maximum in their own slots and the other requests
    apportioned by largest remainder, so the counts add up exactly.
    """
    minimum, maximum = max(0, int(minimum)), max(0, int(maximum))
    if count <= 0:
        return {}
    if count <= 3 or minimum == maximum:
        values = [minimum, maximum][:count]
        if count == 3:
            values.append(min(maximum, max(minimum, round(3 * mean - minimum - maximum))))
        if minimum == maximum:
            values = [minimum] * count
        slots: dict[int, int] = {}
        for value in values:
            slots[slot_of(value)] = slots.get(slot_of(value), 0) + 1
        return slots
    mean = min(max(mean, minimum), maximum)
    p95 = mean if p95 is None else min(max(p95, minimum), maximum)
    ratio = math.log(max(p95, 0.5) / max(mean, 0.5))
    # sigma^2/2 - Z95 sigma + ratio = 0: the smaller root. With none (p95 far above the mean, a long tail),
    # the p95 is kept, as the original showed it, and the mean comes out lower: the stored sum stays exact.
    discriminant = Z95 * Z95 - 2 * ratio
    sigma = max(Z95 - math.sqrt(discriminant) if discriminant > 0 else Z95, 1e-3)
    mu = math.log(max(p95, 0.5)) - Z95 * sigma

    def cdf(ms: float) -> float:
        if ms <= 0:
            return 0.0
        return 0.5 * (1 + math.erf((math.log(ms) - mu) / (sigma * math.sqrt(2))))

    first, last = slot_of(minimum), slot_of(maximum)
    weights = {}
    for slot in range(first, last + 1):
        low, high = _bounds(slot) if slot <= BUCKETS else (UPPER_MS, maximum)
        low, high = max(low, minimum), min(high, maximum) + 1
        weights[slot] = max(0.0, cdf(high) - cdf(low)) if high > low else 0.0
    total_weight = sum(weights.values()) or 1.0
    rest = count - 2
    shares = {slot: rest * weight / total_weight for slot, weight in weights.items()}
    if not any(shares.values()):
        shares = {slot_of(round(mean)): float(rest)}
    slots = {slot: int(share) for slot, share in shares.items()}
    left = rest - sum(slots.values())
    for slot in sorted(shares, key=lambda s: shares[s] - int(shares[s]), reverse=True)[:left]:
        slots[slot] += 1
    slots[first] = slots.get(first, 0) + 1
    slots[last] = slots.get(last, 0) + 1
    return {slot: n for slot, n in slots.items() if n}
