"""How much disk and CPU a Malti installation needs for a given traffic: the model behind `manage.py malti_capacity`.

Stored rows: raw rows are one per request. A rollup relation keeps one row
per bucket and distinct combination of its dimensions that saw a request. With
`n` requests of a service in a bucket spread over `k` combinations, about
k·(1 − e^(−n/k)) of them occur (uniform spread): an upper bound, since real
traffic concentrates on popular endpoints and consumers (the bench traffic, with
Zipf-weighted consumers, keeps 6,678 rows per 1-minute bucket of the full
materialisation where this counts 11,985).

Bytes per row are measured (docs/capacity.md): each relation's
`hypertable_size()` over its rows in the seeded query dataset, indexes
included; a rollup row's size grows with the histogram slots its requests fill.
Ingest CPU is measured the same way (bench.ingest, 1000-record batches).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from telemetry.rollups.catalog import LEVELS, MATERIALISATIONS, Level, Materialisation

# Measured 2026-12-02 (bench.seed --report, code 1bec7e5): bytes per stored row, indexes included.
RAW_ROW_BYTES = 146
SAMPLE_ROW_BYTES = 262
ROLLUP_ROW_BYTES = {
    # level: (svc, status, node, endpoint, consumer, full)
    "1min": (559, 250, 359, 256, 322, 261),
    "5min": (592, 309, 438, 272, 350, 256),
    "1hour": (1050, 650, 805, 450, 623, 287),
    "6hour": (1701, 810, 924, 545, 770, 289),
    "1day": (4369, 1029, 1161, 623, 862, 396),
    "1week": (11469, 1575, 1775, 659, 909, 399),
}
# Stored rows of the benchmark traffic (Zipf consumers, a status mix of 82 % 200s) over what an even spread of the
# same requests would keep, full materialisation, bench.seed --report: 6,678 / 11,991 at 1 minute, 31,891 / 59,766
# at 5 minutes, 280,543 / 687,280 at 1 hour (taken for the coarser levels too, where it can only fall).
CONCENTRATED = {"1min": 0.56, "5min": 0.53}
CONCENTRATED_COARSE = 0.41
# Measured with bench.ingest (1000-record batches, web workers and PostgreSQL on the same two cores):
# 160,000 records/s with two workers, so about 80,000 per core for the whole path.
INGEST_RECORDS_PER_CORE = 80_000
# The sample keeps every 5xx, the requests over the previous day's p99 (1 %) and MALTI_SAMPLE_RATE of the rest.
SLOW_SHARE = 0.01


@dataclass(frozen=True)
class Traffic:
    """An installation's traffic: mean requests/s and, per service, how many distinct values each dimension takes."""

    rps: float
    services: int = 10
    endpoints: int = 40  # method and route pairs
    nodes: int = 3
    contexts: int = 4
    consumers: int = 200
    statuses: int = 5  # distinct status codes an endpoint answers with
    server_error_share: float = 0.01
    sample_rate: float = 0.01
    peak: float = 3.0  # peak over mean rate

    def combinations(self, materialisation: Materialisation) -> int:
        """Distinct rows one service can have in one bucket of this materialisation."""
        per_dimension = {
            "service": 1,
            "status": self.statuses,
            "node": self.nodes,
            "context": self.contexts,
            "method": 1,  # counted in `endpoints`
            "endpoint": self.endpoints,
            "consumer": self.consumers,
        }
        # The full materialisation's status codes come per endpoint; `status` alone, per service.
        return math.prod(per_dimension[dimension] for dimension in materialisation.dimensions)


@dataclass(frozen=True)
class LevelEstimate:
    name: str
    keep_for: timedelta
    rows_per_bucket: float
    rows: float
    bytes: float  # requests spread evenly over every dimension's values: an upper bound
    concentrated_bytes: float  # as concentrated as the benchmark traffic


def rows_per_bucket(traffic: Traffic, level: Level, materialisation: Materialisation) -> float:
    """Expected stored rows of one bucket over all services (uniform spread: an upper bound)."""
    per_service = traffic.rps * level.width.total_seconds() / traffic.services
    combinations = traffic.combinations(materialisation)
    return traffic.services * combinations * -math.expm1(-per_service / combinations)


def estimate(traffic: Traffic, keep_for: dict[str, timedelta]) -> list[LevelEstimate]:
    """Rows and bytes kept at each level, raw rows and the request explorer's sample included."""
    raw_rows = traffic.rps * keep_for["raw"].total_seconds()
    raw_bytes = raw_rows * RAW_ROW_BYTES
    estimates = [LevelEstimate("raw", keep_for["raw"], traffic.rps, raw_rows, raw_bytes, raw_bytes)]
    for level in LEVELS:
        buckets = keep_for[level.name] / level.width
        per_bucket = [rows_per_bucket(traffic, level, m) for m in MATERIALISATIONS]
        size = sum(rows * row_bytes for rows, row_bytes in zip(per_bucket, ROLLUP_ROW_BYTES[level.name], strict=True))
        concentrated = CONCENTRATED.get(level.name, CONCENTRATED_COARSE)
        rows = sum(per_bucket)
        estimates.append(
            LevelEstimate(level.name, keep_for[level.name], rows, rows * buckets, size * buckets,
                          size * buckets * concentrated)
        )  # fmt: skip
    kept = traffic.server_error_share + SLOW_SHARE + traffic.sample_rate
    sample_rows = traffic.rps * kept * keep_for["sample"].total_seconds()
    sample_bytes = sample_rows * SAMPLE_ROW_BYTES
    estimates.append(
        LevelEstimate("sample", keep_for["sample"], traffic.rps * kept, sample_rows, sample_bytes, sample_bytes)
    )
    return estimates


def ingest_cores(traffic: Traffic) -> float:
    """Cores (web workers and PostgreSQL together) that ingest the peak rate."""
    return traffic.rps * traffic.peak / INGEST_RECORDS_PER_CORE
