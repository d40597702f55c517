"""Seed the reproducible query dataset into malti_bench: 365 days of 200 requests/s over 10 services.

    .venv/bin/python -m bench.seed [--reset] [--days 365] [--hour-days 30] [--fivemin-days 2]
                                   [--minute-hours 24] [--raw-minutes 90] [--jobs 2]
    .venv/bin/python -m bench.seed --check       # levels and materialisations agree (SQL comparison)
    .venv/bin/python -m bench.seed --report      # row counts and sizes per relation
    .venv/bin/python -m bench.seed --top-up      # raw rows from where the data ends up to now, then refresh

The traffic is TrafficModel's (telemetry/traffic.py): 40 route-template
endpoints and 3 nodes per service, 200 Zipf consumers, 4 contexts, its status
and method mixes, per-endpoint log-normal latencies (5xx three times slower),
daily_rate()'s cycle around a 200 requests/s mean. Old periods go straight
into the rollups, generated statistically at the finest level kept for them
(README.md, "The query dataset"):

  days 365..hour-days ago   1day only (as if the 1hour level's retention were hour-days)
  hour-days..fivemin-days   1hour, summed into 6hour and 1day
  fivemin-days..1 day       5min, summed into 1hour, 6hour and 1day
  the last minute-hours     1min, summed into 5min, 1hour, 6hour and 1day
  the last 1.5-2.5 hours    raw rows through Request.objects.ingest(), then the refresher

Per bucket, each (service, method, endpoint, status) cell gets a Poisson
count; its latency histogram is a multinomial draw over the histogram's slots
(telemetry/rollups/histogram.py) from that endpoint's log-normal, or, for
small counts, one draw per request. The status materialisation is the sum of
those cells per (service, status); node and consumer rows split each
(service, status, slot) count multinomially, since the model draws node,
context and consumer independently of latency. Only status and full keep the
status code: svc, node, endpoint and consumer rows sum the statuses away
(counts and histograms slot by slot), and their error_count,
client_error_count and server_error_count add up the requests of the folded
statuses that are >= 400, 400..499 and >= 500. So all materialisations agree
exactly on counts, error counts and histograms, and each coarser level is
exactly the sum of the finer one. response_time_sum/min/max use one
representative value per slot (the middle of the integer range it holds),
which keeps them consistent across materialisations and levels too.

The full materialisation is scaled down: at ~1 row per request (measured on
the raw window) it cannot be generated for a year here. Each
(service, method, endpoint, status) cell is attributed to one fixed
(node, context, consumer), drawn once from the model, so the full relation
has one row per non-empty cell and bucket. The raw window's full rows are real.

Resumable: progress is checkpointed per day in bench_seed_state; a rerun
without --reset continues from the last finished day with the same anchor.
"""

import argparse
import math
import os
import queue
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from django.db import connections

from bench import common

SERVICES = (
    "checkout",
    "catalog",
    "accounts",
    "search",
    "payments",
    "inventory",
    "shipping",
    "notifications",
    "reviews",
    "recommendations",
)
TENANT = "Bench"
MODEL_SEED = 7
MEAN_RATE = 200.0  # requests/s, daily_rate()'s mean
MULTINOMIAL_FROM = 48  # counts above this draw a multinomial; smaller ones draw per request

US = 1_000_000
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MINUTE, FIVE, HOUR, DAY = 60 * US, 300 * US, 3600 * US, 86400 * US
QUARTER_DAY = 6 * HOUR  # the 6hour level

MAX_ATTEMPTS = 30
RETRY_PAUSE_S = 5

STATE_SQL = "CREATE TABLE IF NOT EXISTS bench_seed_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
GET_STATE_SQL = "SELECT key, value FROM bench_seed_state"
SET_STATE_SQL = (
    "INSERT INTO bench_seed_state (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
)
DELETE_FROM_SQL = "DELETE FROM {relation} WHERE bucket >= %s"
SET_WATERMARK_SQL = "UPDATE malti_refresh_state SET watermark = %s WHERE level = %s"
# Weeks are summed from the seeded days by the refresher, which takes the weeks logged here.
MARK_WEEKS_SQL = (
    "INSERT INTO malti_dirty_buckets (level, bucket) "
    "SELECT '1week', generate_series(time_bucket('7 days', %s::timestamptz), %s::timestamptz, '7 days')"
)
RAW_END_SQL = "SELECT max(created_at) FROM requests WHERE service = ANY(%s)"
SIZE_SQL = "SELECT hypertable_size(%s)"
COUNT_SQL = "SELECT count(*) FROM {relation}"
BUCKET_ROWS_SQL = "SELECT count(*), count(DISTINCT bucket) FROM {relation} WHERE bucket >= %s AND bucket < %s"

BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
BINARY_TRAILER = b"\xff\xff"
INT4_MAX = 2**31 - 1  # a histogram column's INTEGER

# Which statuses each error column counts: telemetry.rollups.catalog.ERROR_COUNTS, in its order.
ERROR_CLASSES = {
    "error_count": lambda status: status >= 400,
    "client_error_count": lambda status: 400 <= status <= 499,
    "server_error_count": lambda status: status >= 500,
}


# --- the traffic model, as arrays ---------------------------------------------------------------------------------


class Model:
    """TrafficModel's distributions as numpy tables, plus the histogram's slot geometry."""

    def __init__(self, seed: int = MODEL_SEED):
        from telemetry.rollups.catalog import ERROR_COUNTS
        from telemetry.rollups.histogram import BUCKETS, SLOTS, UPPER_MS, WIDTH
        from telemetry.traffic import CONTEXTS, TrafficModel

        assert tuple(ERROR_CLASSES) == tuple(ERROR_COUNTS), "ERROR_CLASSES must follow catalog.ERROR_COUNTS"

        self.traffic = TrafficModel(services=list(SERVICES), seed=seed)
        t = self.traffic
        self.services = list(SERVICES)
        self.endpoints = t.endpoints[SERVICES[0]]  # the same 40 templates for every service
        self.methods = list(t.methods)
        self.statuses = np.array(t.statuses, dtype=np.int16)
        self.consumers = t.consumer_names
        self.contexts = CONTEXTS
        self.nodes = t.nodes_per_service
        self.slots = SLOTS
        ns, nm, ne, nst = len(self.services), len(self.methods), len(self.endpoints), len(self.statuses)
        self.shape = (ns, nm, ne, nst)
        p_method = np.array(t.method_weights, float) / sum(t.method_weights)
        p_status = np.array(t.status_weights, float) / sum(t.status_weights)
        # Share of all requests per endpoint cell (service, method, endpoint, status), C order.
        self.cell_share = (
            np.full(ns, 1 / ns)[:, None, None, None]
            * p_method[None, :, None, None]
            * np.full(ne, 1 / ne)[None, None, :, None]
            * p_status[None, None, None, :]
        ).ravel()
        s, m, e, st = np.indices(self.shape).reshape(4, -1)
        self.cell_service, self.cell_method, self.cell_endpoint, self.cell_status = s, m, e, st
        # Latency row per cell: (service, endpoint) x (5xx or not).
        self.cell_latency = (s * ne + e) * 2 + (self.statuses[st] >= 500)
        self.status_of_cell = s * nst + st  # the cell's key in the status materialisation
        # Per status index: 1 where the status counts in that error column (ERROR_CLASSES order).
        self.status_errors = np.array(
            [[int(counts(int(code))) for counts in ERROR_CLASSES.values()] for code in self.statuses], np.int64
        )

        # Slot geometry: which integer milliseconds each slot holds (mirrors histogram.slot_of).
        ms = np.arange(UPPER_MS, dtype=np.int64)
        slot_of = np.minimum(BUCKETS, (np.log(1 + ms) / WIDTH).astype(np.int64) + 1)
        self.low = np.full(SLOTS, -1, np.int64)
        self.high = np.full(SLOTS, -2, np.int64)
        for k in range(1, BUCKETS + 1):
            held = ms[slot_of == k]
            if len(held):
                self.low[k], self.high[k] = held[0], held[-1]
        self.low[BUCKETS + 1], self.high[BUCKETS + 1] = UPPER_MS, 3 * 3_600_000
        self.representative = np.where(self.high >= self.low, (self.low + self.high) // 2, 0)
        self.representative[BUCKETS + 1] = UPPER_MS

        # P(slot | service, endpoint, 5xx): latency = int(lognormal) (x3 for 5xx), as TrafficModel draws it.
        erf = np.vectorize(math.erf)

        def cdf_below(x, mu, sigma):  # P(lognormal < x), x > 0
            return 0.5 * (1 + erf((np.log(x) - mu) / (sigma * math.sqrt(2))))

        rows = []
        for service in self.services:
            for endpoint in self.endpoints:
                median, sigma = t.latency[(service, endpoint)]
                mu = math.log(median)
                for factor in (1, 3):
                    # int(X) * factor in [low, high]  <=>  X in [ceil(low / f), floor(high / f) + 1)
                    lo = -(-self.low // factor)
                    hi = self.high // factor + 1
                    valid = (self.high >= self.low) & (hi > lo)
                    upper = cdf_below(np.maximum(hi, 1e-9), mu, sigma)
                    lower = np.where(lo > 0, cdf_below(np.maximum(lo, 1e-9), mu, sigma), 0.0)
                    p = np.where(valid, np.clip(upper - lower, 0, None), 0.0)
                    p[BUCKETS + 1] = 1 - cdf_below(UPPER_MS / factor if factor == 1 else UPPER_MS // 3, mu, sigma)
                    rows.append(p / p.sum())
        self.slot_p = np.array(rows)
        cdf = np.cumsum(self.slot_p, axis=1)
        cdf[:, -1] = 1.0
        # Row r's CDF shifted by r, flattened: one searchsorted samples slots for any mix of rows.
        self.slot_cdf_flat = (cdf + np.arange(len(rows))[:, None]).ravel()

        self.consumer_cdf = np.cumsum(t.consumer_weights)
        self.consumer_cdf[-1] = 1.0
        self.consumer_p = np.array(t.consumer_weights)
        self.consumer_p /= self.consumer_p.sum()
        # The scaled-down full materialisation: one (node, context, consumer) per endpoint cell.
        pick = np.random.default_rng(seed + 1)
        cells = len(self.cell_share)
        self.full_node = pick.integers(0, self.nodes, cells)
        self.full_context = pick.integers(0, len(self.contexts), cells)
        self.full_consumer = np.minimum(
            np.searchsorted(self.consumer_cdf, pick.random(cells), side="right"), len(self.consumers) - 1
        )


# --- sparse histograms: (bucket, cell, slot, count), sorted --------------------------------------------------------


PART_FIELDS = ("bucket", "cell", "slot", "count", "errors")


@dataclass
class Part:
    """Histogram entries of one materialisation: one per non-empty (bucket, cell, slot), sorted by all three."""

    bucket: np.ndarray  # int64 microseconds since 2000-01-01 UTC
    cell: np.ndarray  # int64 index into the materialisation's key space
    slot: np.ndarray  # int64
    count: np.ndarray  # int64
    errors: np.ndarray  # int64, (entries, 3): of `count`, the requests in each ERROR_CLASSES column

    def __len__(self):
        return len(self.count)


def _sum_by(key, count, errors):
    """Sorted unique keys and the sums of `count` and `errors` per key (float64 sums are exact at these counts)."""
    unique, inverse = np.unique(key, return_inverse=True)
    n = len(unique)
    summed = np.bincount(inverse, weights=count, minlength=n).astype(np.int64)
    summed_errors = np.empty((n, errors.shape[1]), np.int64)
    for column in range(errors.shape[1]):
        summed_errors[:, column] = np.bincount(inverse, weights=errors[:, column], minlength=n)
    return unique, summed, summed_errors


def combine(bucket, cell, slot, count, errors, cells: int, slots: int, origin: int, width: int) -> Part:
    """Sum entries with equal (bucket, cell, slot), buckets floored to `width` from `origin`; sorted."""
    index = (bucket - origin) // width
    key = (index * cells + cell) * slots + slot
    unique, summed, summed_errors = _sum_by(key, count, errors)
    index, rest = np.divmod(unique, cells * slots)
    cell, slot = np.divmod(rest, slots)
    return Part(origin + index * width, cell, slot, summed, summed_errors)


class Generator:
    """Draws the buckets of one level for every materialisation."""

    def __init__(self, model: Model, seed: int):
        self.m = model
        self.rng = np.random.default_rng(seed)
        ns, nm, ne, nst = model.shape
        # Key space per materialisation; "full" is the endpoint cells, (service, method, endpoint, status).
        self.cells = {
            "svc": ns,
            "status": ns * nst,
            "node": ns * model.nodes * len(model.contexts),
            "endpoint": ns * nm * ne,
            "consumer": ns * len(model.consumers),
            "full": ns * nm * ne * nst,
        }

    def expected(self, starts_us: np.ndarray, width: int) -> np.ndarray:
        """Expected requests per bucket: daily_rate() at the bucket's middle times its width."""
        from telemetry.traffic import daily_rate

        if width >= DAY:
            return np.full(len(starts_us), MEAN_RATE * width / US)
        mids = [PG_EPOCH + timedelta(microseconds=int(s + width // 2)) for s in starts_us]
        return np.array([daily_rate(mid, MEAN_RATE) * width / US for mid in mids])

    def endpoint_part(self, starts_us: np.ndarray, width: int) -> Part:
        """The endpoint cells, (service, method, endpoint, status), of the buckets starting at starts_us."""
        m, rng, slots = self.m, self.rng, self.m.slots
        counts = rng.poisson(self.expected(starts_us, width)[:, None] * m.cell_share[None, :])
        b, cell = np.nonzero(counts)
        n = counts[b, cell]
        large = n > MULTINOMIAL_FROM
        keys, values = [], []
        if large.any():
            hist = rng.multinomial(n[large], m.slot_p[m.cell_latency[cell[large]]])
            row, slot = np.nonzero(hist)
            keys.append((b[large][row] * len(m.cell_share) + cell[large][row]) * slots + slot)
            values.append(hist[row, slot])
        small = ~large
        if small.any():
            which = np.repeat(np.flatnonzero(small), n[small])
            latency_row = m.cell_latency[cell[which]]
            u = np.minimum(rng.random(len(which)), 1 - 1e-9)
            slot = np.searchsorted(m.slot_cdf_flat, latency_row + u, side="right") - latency_row * slots
            keys.append((b[which] * len(m.cell_share) + cell[which]) * slots + slot)
            values.append(np.ones(len(which), np.int64))
        key = np.concatenate(keys)
        value = np.concatenate(values)
        unique, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=value, minlength=len(unique)).astype(np.int64)
        index, rest = np.divmod(unique, len(m.cell_share) * slots)
        cell, slot = np.divmod(rest, slots)
        return Part(starts_us[index], cell, slot, summed, summed[:, None] * m.status_errors[m.cell_status[cell]])

    def split(self, count: np.ndarray, weights: np.ndarray, cdf: np.ndarray):
        """Split each count over categories (multinomial): (entry index, category, count)."""
        rng = self.rng
        sources, categories, values = [], [], []
        large = np.flatnonzero(count > MULTINOMIAL_FROM)
        for lo in range(0, len(large), 20_000):
            chunk = large[lo : lo + 20_000]
            drawn = rng.multinomial(count[chunk], weights)
            row, category = np.nonzero(drawn)
            sources.append(chunk[row])
            categories.append(category)
            values.append(drawn[row, category])
        small = np.flatnonzero(count <= MULTINOMIAL_FROM)
        if len(small):
            which = np.repeat(small, count[small])
            category = np.minimum(np.searchsorted(cdf, rng.random(len(which)), side="right"), len(weights) - 1)
            unique, tally = np.unique(which * len(weights) + category, return_counts=True)
            source, category = np.divmod(unique, len(weights))
            sources.append(source)
            categories.append(category)
            values.append(tally)
        return np.concatenate(sources), np.concatenate(categories), np.concatenate(values)

    def derive(self, full: Part, origin: int, width: int) -> dict[str, Part]:
        """Every materialisation from the endpoint cells (the full one's key space) of the same buckets."""
        m, slots, cells = self.m, self.m.slots, self.cells
        nst = len(m.statuses)

        def fold(part, cell, name):
            return combine(part.bucket, cell, part.slot, part.count, part.errors, cells[name], slots, origin, width)

        status = fold(full, m.status_of_cell[full.cell], "status")
        service, status_index = np.divmod(status.cell, nst)
        parts = {
            "svc": fold(status, service, "svc"),
            "status": status,
            "endpoint": fold(full, full.cell // nst, "endpoint"),
            "full": full,
        }
        # node and consumer: each (service, status, slot) count split over the category, then the
        # status summed away (its error columns kept).
        places = m.nodes * len(m.contexts)  # (node, context), uniform
        for name, categories, weights, cdf in (
            ("node", places, np.full(places, 1 / places), np.arange(1, places + 1) / places),
            ("consumer", len(m.consumers), m.consumer_p, m.consumer_cdf),
        ):
            source, category, value = self.split(status.count, weights, cdf)
            parts[name] = combine(
                status.bucket[source],
                service[source] * categories + category,
                status.slot[source],
                value,
                value[:, None] * m.status_errors[status_index[source]],
                cells[name],
                slots,
                origin,
                width,
            )
        return parts

    def generate(self, start: int, end: int, width: int) -> dict[str, Part]:
        starts = np.arange(start, end, width, dtype=np.int64)
        return self.derive(self.endpoint_part(starts, width), start, width)

    def coarsen(self, parts: dict[str, Part], origin: int, width: int) -> dict[str, Part]:
        slots = self.m.slots
        return {
            name: combine(p.bucket, p.cell, p.slot, p.count, p.errors, self.cells[name], slots, origin, width)
            for name, p in parts.items()
        }


# --- binary COPY encoding -------------------------------------------------------------------------------------------


# Fixed-width fields first (COPY takes columns in any order we name), so a row is: the prefix,
# the text dimensions (one pre-encoded block per combination), then the histogram columns h1..h129.
# The prefix's columns, in order: (column, numpy field, big-endian type); status only where the
# relation has it.
PREFIX_COLUMNS = (
    ("bucket", "bucket", ">i8"),
    ("status", "status", ">i2"),
    ("request_count", "count", ">i8"),
    *((name, name, ">i8") for name in ERROR_CLASSES),
    ("response_time_sum", "sum", ">i8"),
    ("response_time_min", "min", ">i4"),
    ("response_time_max", "max", ">i4"),
)


def prefix_columns(with_status: bool):
    return [column for column in PREFIX_COLUMNS if with_status or column[0] != "status"]


def prefix_dtype(with_status: bool) -> np.dtype:
    fields = [("fields", ">i2")]
    for _, field, kind in prefix_columns(with_status):
        fields += [(f"{field}_len", ">i4"), (field, kind)]
    return np.dtype(fields)


ENCODE_ROWS = 16_384  # rows per padded block: bounds its memory at ~40 MB


class TextBlocks:
    """The encoded text dimensions (length-prefixed, concatenated) of every key combination, padded."""

    def __init__(self, combinations):
        encoded = [b"".join(len(v.encode()).to_bytes(4, "big") + v.encode() for v in combo) for combo in combinations]
        self.fields = len(combinations[0])
        self.lengths = np.array([len(e) for e in encoded], np.int64)
        self.table = np.zeros((len(encoded), int(self.lengths.max())), np.uint8)
        for i, value in enumerate(encoded):
            self.table[i, : len(value)] = np.frombuffer(value, np.uint8)


def encode(part: Part, row_starts, blocks: TextBlocks, combo, status, representative) -> bytes:
    """Rows of one materialisation as a binary COPY stream: prefix_columns(), the texts, HISTOGRAM_COLUMNS.

    status: the status per row, or None for a relation without it. Each histogram column is an int4
    field: length -1 and no data where the slot is empty (NULL), else length 4 and the count."""
    from telemetry.rollups.histogram import STORED_SLOTS

    ends = np.append(row_starts[1:], len(part))
    entries = ends - row_starts
    rows = len(row_starts)
    first, stored = STORED_SLOTS.start, len(STORED_SLOTS)
    assert part.slot.min() >= first and part.slot.max() < first + stored, "slot outside the stored columns"
    assert part.count.max() <= INT4_MAX, f"a slot count of {part.count.max():,} does not fit an INTEGER column"
    columns = prefix_columns(status is not None)
    layout = prefix_dtype(status is not None)
    prefix = np.empty(rows, layout)
    prefix["fields"] = len(columns) + blocks.fields + stored
    for _, field, kind in columns:
        prefix[f"{field}_len"] = np.dtype(kind).itemsize
    prefix["bucket"] = part.bucket[row_starts]
    if status is not None:
        prefix["status"] = status
    prefix["count"] = np.add.reduceat(part.count, row_starts)
    errors = np.add.reduceat(part.errors, row_starts, axis=0)
    for index, name in enumerate(ERROR_CLASSES):
        prefix[name] = errors[:, index]
    prefix["sum"] = np.add.reduceat(part.count * representative[part.slot], row_starts)
    prefix["min"] = representative[part.slot[row_starts]]
    prefix["max"] = representative[part.slot[ends - 1]]
    # The histogram fields of a row are 4-byte words: -1 for each empty slot, 4 and the count for
    # each other one. A row's entries are sorted by slot, so its j-th entry's length word is word
    # (slot - first) + j of the row's (stored + entries) words.
    word = part.slot - first + (np.arange(len(part)) - np.repeat(row_starts, entries))
    text_width = blocks.table.shape[1]
    histogram_at = layout.itemsize + text_width
    chunks = [BINARY_HEADER]
    # Rows padded to the widest in their block, then the padding masked away: rows of similar
    # histogram length go together so little is padded (COPY does not care about row order).
    order = np.argsort(entries, kind="stable")
    for lo in range(0, rows, ENCODE_ROWS):
        pick = order[lo : lo + ENCODE_ROWS]
        n = entries[pick]
        words = stored + int(n.max())
        width = histogram_at + 4 * words
        block = np.empty((len(pick), width), np.uint8)
        block[:, : layout.itemsize] = prefix[pick].view(np.uint8).reshape(len(pick), -1)
        block[:, layout.itemsize : histogram_at] = blocks.table[combo[pick]]
        histogram = np.full((len(pick), words), -1, ">i4")
        row = np.repeat(np.arange(len(pick)), n)
        source = np.repeat(row_starts[pick] - (np.cumsum(n) - n), n) + np.arange(len(row))
        histogram[row, word[source]] = 4
        histogram[row, word[source] + 1] = part.count[source]
        block[:, histogram_at:] = histogram.view(np.uint8).reshape(len(pick), -1)
        # Which bytes are row and which padding: the text block and the histogram each end early.
        column = np.arange(width, dtype=np.int16)
        keep = np.empty(block.shape, bool)
        np.less(
            column[None, :histogram_at],
            (layout.itemsize + blocks.lengths[combo[pick]])[:, None].astype(np.int16),
            out=keep[:, :histogram_at],
        )
        np.less(
            column[None, histogram_at:],
            (histogram_at + 4 * (stored + n))[:, None].astype(np.int16),
            out=keep[:, histogram_at:],
        )
        chunks.append(block[keep].tobytes())
    chunks.append(BINARY_TRAILER)
    return b"".join(chunks)


class Encoder:
    """Turns Parts into COPY statements for the rollup relations."""

    def __init__(self, model: Model, keys: dict[str, str]):
        m = self.m = model
        nodes = [[f"{s}-node-{n + 1}" for n in range(m.nodes)] for s in m.services]
        # The service column holds each service's telemetry key, as ingest stores it; nodes keep the name.
        stored = [keys[s] for s in m.services]
        places = [(n, c) for n in range(m.nodes) for c in range(len(m.contexts))]
        # Per materialisation: the text columns' blocks, indexed by the part's cell
        # (by cell // statuses for status, whose only text column is the service).
        self.blocks = {
            "svc": TextBlocks([(s,) for s in stored]),
            "node": TextBlocks([(s, nodes[i][n], m.contexts[c]) for i, s in enumerate(stored) for n, c in places]),
            "endpoint": TextBlocks([(s, method, e) for s in stored for method in m.methods for e in m.endpoints]),
            "consumer": TextBlocks([(s, c) for s in stored for c in m.consumers]),
            "full": TextBlocks(
                [
                    (
                        stored[s],
                        nodes[s][m.full_node[cell]],
                        m.methods[m.cell_method[cell]],
                        m.endpoints[m.cell_endpoint[cell]],
                        m.consumers[m.full_consumer[cell]],
                        m.contexts[m.full_context[cell]],
                    )
                    for cell, s in enumerate(m.cell_service)
                ]
            ),
        }
        self.blocks["status"] = self.blocks["svc"]

    def statements(self, level: str, parts: dict[str, Part]):
        """(relation, COPY sql, payload, rows) for each materialisation of one level."""
        from telemetry.rollups.catalog import LEVEL_BY_NAME, MATERIALISATIONS, column_definitions
        from telemetry.rollups.histogram import HISTOGRAM_COLUMNS

        nst = len(self.m.statuses)
        for materialisation in MATERIALISATIONS:
            name = materialisation.name or "full"
            part = parts[name]
            if not len(part):
                continue
            key = part.bucket // MINUTE * (1 << 24) + part.cell  # cells < 2^24
            row_starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            cell = part.cell[row_starts]
            with_status = "status" in materialisation.dimensions
            # The status is the cell's last index in both key spaces that keep it.
            status = self.m.statuses[cell % nst] if with_status else None
            combo = cell // nst if name == "status" else cell
            payload = encode(part, row_starts, self.blocks[name], combo, status, self.m.representative)
            relation = materialisation.relation(LEVEL_BY_NAME[level])
            texts = [d for d in materialisation.dimensions if d != "status"]
            columns = ", ".join((*(column for column, _, _ in prefix_columns(with_status)), *texts, *HISTOGRAM_COLUMNS))
            if LEVEL_BY_NAME[level].slot_type == "integer":
                yield relation, f"COPY {relation} ({columns}) FROM STDIN (FORMAT BINARY)", payload, len(row_starts)
                continue
            # The payload's slots are 4-byte INTEGERs; this level's are BIGINT: through a staging table.
            staging = f"seed_staging_{materialisation.name or 'full'}"
            steps = (
                [f"CREATE TEMP TABLE IF NOT EXISTS {staging} ({column_definitions(materialisation, 'integer')})"],
                f"COPY {staging} ({columns}) FROM STDIN (FORMAT BINARY)",
                [f"INSERT INTO {relation} SELECT * FROM {staging}", f"TRUNCATE {staging}"],
            )
            yield relation, steps, payload, len(row_starts)


# --- writing ----------------------------------------------------------------------------------------------------------


class Writers:
    """Background COPY connections, so drawing the next buckets overlaps PostgreSQL storing the last."""

    def __init__(self, jobs: int):
        self.queue = queue.Queue(maxsize=2 * jobs)
        self.backend_cpu = 0.0  # CPU seconds the COPY backends used, read from /proc at the end
        self.error = None
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(jobs)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        conn = backend = None
        try:
            conn = common.connect(autocommit=True)
            conn.execute("SET synchronous_commit = off")  # this session's bulk load only
            backend = conn.info.backend_pid
        except Exception as exc:  # reported by the main thread; keep draining so it never hangs
            self.error = exc
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    with self.lock:
                        self.backend_cpu += cpu_seconds(backend) if backend else 0.0
                    if conn is not None:
                        conn.close()
                    return
                _, sql, payload, _ = item
                before, sql, after = sql if isinstance(sql, tuple) else ((), sql, ())
                if self.error is None:
                    for statement in before:
                        conn.execute(statement)
                    with conn.cursor() as cursor, cursor.copy(sql) as copy:
                        copy.write(payload)
                    for statement in after:
                        conn.execute(statement)
            except Exception as exc:  # reported by the main thread at its next put() or drain()
                self.error = exc
            finally:
                self.queue.task_done()

    def put(self, item):
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def drain(self):
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self):
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (PostgreSQL backends run on this machine)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


# --- the seed ---------------------------------------------------------------------------------------------------------


def to_us(moment: datetime) -> int:
    return (moment - PG_EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=int(value))


@dataclass(frozen=True)
class Plan:
    anchor: int  # B: raw rows start here, every rollup holds everything before it
    minute_from: int
    fivemin_from: int
    hour_from: int
    start: int

    @classmethod
    def build(cls, now: datetime, args) -> "Plan":
        # Whole hours before it are rollups, so raw covers raw-minutes .. raw-minutes + 1 hour.
        anchor = to_us(now - timedelta(minutes=args.raw_minutes)) // HOUR * HOUR
        today = anchor // DAY * DAY
        return cls(
            anchor=anchor,
            minute_from=anchor - args.minute_hours * HOUR,
            fivemin_from=min(today - args.fivemin_days * DAY, anchor - args.minute_hours * HOUR),
            hour_from=today - args.hour_days * DAY,
            start=today - args.days * DAY,
        )

    def finest(self, moment: int) -> str:
        if moment >= self.minute_from:
            return "1min"
        if moment >= self.fivemin_from:
            return "5min"
        if moment >= self.hour_from:
            return "1hour"
        return "1day"

    def describe(self):
        def day(us):
            return f"{from_us(us):%Y-%m-%d %H:%M}"

        return (
            f"  1day only   {day(self.start)} .. {day(self.hour_from)}\n"
            f"  1hour       {day(self.hour_from)} .. {day(self.fivemin_from)}\n"
            f"  5min        {day(self.fivemin_from)} .. {day(self.minute_from)}\n"
            f"  1min        {day(self.minute_from)} .. {day(self.anchor)}\n"
            f"  raw         {day(self.anchor)} .. now (then the refresher)"
        )


class Seeder:
    def __init__(self, args, keys: dict[str, str]):
        self.args = args
        self.model = Model()
        self.encoder = Encoder(self.model, keys)
        self.generated = 0

    def emit(self, writers, level, parts):
        for statement in self.encoder.statements(level, parts):
            self.generated += statement[3]
            writers.put(statement)

    def day(self, writers, generator, plan, day_start):
        """Every rollup row for one UTC day (up to the anchor)."""
        day_end = min(day_start + DAY, plan.anchor)
        if plan.finest(day_start) == "1day":
            self.emit(writers, "1day", generator.generate(day_start, day_start + DAY, DAY))
            return
        hours = []
        moment = day_start
        while moment < day_end:
            level = plan.finest(moment)
            if level == "1hour":
                upper = min(day_end, plan.fivemin_from)
                parts = generator.generate(moment, upper, HOUR)
                self.emit(writers, "1hour", parts)
                hours.append(parts)
                moment = upper
                continue
            # 1min or 5min: an hour at a time keeps the arrays small.
            upper = moment + HOUR
            if level == "1min":
                minutes = generator.generate(moment, upper, MINUTE)
                self.emit(writers, "1min", minutes)
                fives = generator.coarsen(minutes, moment, FIVE)
            else:
                fives = generator.generate(moment, upper, FIVE)
            self.emit(writers, "5min", fives)
            hour = generator.coarsen(fives, moment, HOUR)
            self.emit(writers, "1hour", hour)
            hours.append(hour)
            moment = upper
        if not hours:
            return
        merged = {
            name: Part(*(np.concatenate([getattr(h[name], f) for h in hours]) for f in PART_FIELDS))
            for name in hours[0]
        }
        quarters_end = min(day_start + DAY, plan.anchor // QUARTER_DAY * QUARTER_DAY)  # complete ones only
        if quarters_end > day_start:
            self.emit(writers, "6hour", generator.coarsen(before(merged, quarters_end), day_start, QUARTER_DAY))
        if day_start + DAY <= plan.anchor:
            self.emit(writers, "1day", generator.coarsen(merged, day_start, DAY))


def before(parts: dict[str, Part], limit: int) -> dict[str, Part]:
    """The entries of buckets that start before `limit`."""
    return {name: Part(*(getattr(p, f)[p.bucket < limit] for f in PART_FIELDS)) for name, p in parts.items()}


def relations():
    from telemetry.rollups.catalog import relations as catalog_relations

    return [materialisation.relation(level) for level, materialisation in catalog_relations()]


def read_state(cursor) -> dict:
    cursor.execute(STATE_SQL)
    cursor.execute(GET_STATE_SQL)
    return dict(cursor.fetchall())


def write_state(cursor, **values):
    for key, value in values.items():
        cursor.execute(SET_STATE_SQL, [key, str(value)])


def ensure_accounts() -> dict[str, str]:
    """The bench tenant and its services, as {name: telemetry key}: the key is what the tables store."""
    from accounts.models import Service, Tenant

    tenant, _ = Tenant.objects.get_or_create(name=TENANT)
    # Names are unique per tenant only: look each service up in the bench tenant.
    return {name: Service.objects.get_or_create(tenant=tenant, name=name)[0].telemetry_key for name in SERVICES}


def reset(cursor):
    from telemetry.rollups.catalog import OPEN_MATERIALISATIONS

    rollups = ", ".join(relations() + [m.open_relation() for m in OPEN_MATERIALISATIONS])
    cursor.execute(f"TRUNCATE {rollups}, requests, malti_dirty_minutes, malti_dirty_buckets, bench_seed_state")
    cursor.execute("UPDATE malti_refresh_state SET watermark = 'epoch', open_until = NULL")


def ingest_raw(start: datetime, end: datetime, draw_seed: int, keys: dict[str, str]) -> int:
    """TrafficModel records for [start, end) at daily_rate(), stored as the ingest API stores them."""
    from telemetry.models import Request
    from telemetry.traffic import TrafficModel, as_rows, daily_rate

    # The model's parameters (per-endpoint latencies) come from MODEL_SEED, like the rollups';
    # only the draws differ between runs.
    model = TrafficModel(services=list(SERVICES), seed=MODEL_SEED)
    model.rng = random.Random(draw_seed)
    total = 0
    moment = start
    while moment < end:
        upper = min(end, moment + timedelta(minutes=1))
        count = round(daily_rate(moment, MEAN_RATE) * (upper - moment).total_seconds())
        if count:
            records = model.records(count, moment, upper)
            for record in records:
                record["service"] = keys[record["service"]]
            total += Request.objects.ingest(as_rows(records))
        moment = upper
    return total


def refresh_rollups() -> tuple[str, float]:
    from telemetry.rollups.refresher import refresh

    began = time.monotonic()
    report = refresh()
    return str(report), time.monotonic() - began


def top_up(max_gap: timedelta = timedelta(hours=3)) -> str:
    """Raw rows from where the bench data ends up to now, then a refresh: queries then end at live data."""
    from django.db import connection

    from telemetry.rollups.refresher import watermarks

    keys = ensure_accounts()
    with connection.cursor() as cursor:
        cursor.execute(RAW_END_SQL, [list(keys.values())])
        last = cursor.fetchone()[0]
    start = last or watermarks().get("1min")
    now = datetime.now(UTC)
    if start is None or start.year < 2001:
        raise SystemExit("No seeded data: run `python -m bench.seed` first.")
    if now - start > max_gap:
        raise SystemExit(
            f"The data ends at {start:%Y-%m-%d %H:%M} UTC, more than {max_gap} ago: "
            "run `python -m bench.seed --reset` for a fresh dataset."
        )
    began = time.monotonic()
    count = ingest_raw(start + timedelta(microseconds=1), now, draw_seed=int(now.timestamp()), keys=keys)
    report, seconds = refresh_rollups()
    return (
        f"topped up {count:,} raw rows from {start:%H:%M:%S} to {now:%H:%M:%S} UTC and {report} "
        f"in {time.monotonic() - began:.1f} s (refresh {seconds:.1f} s)"
    )


def report(cursor, plan: Plan | None = None):
    """Rows and size per relation; for full, rows per bucket of the real (raw-derived) window vs the synthetic."""
    print(f"{'relation':30s} {'rows':>14s} {'size MiB':>10s} {'bytes/row':>10s}")
    total_rows = total_bytes = 0
    for relation in ["requests", *relations()]:
        cursor.execute(COUNT_SQL.format(relation=relation))
        rows = cursor.fetchone()[0]
        cursor.execute(SIZE_SQL, [relation])
        size = cursor.fetchone()[0] or 0
        total_rows += rows
        total_bytes += size
        print(f"{relation:30s} {rows:14,d} {size / 2**20:10.1f} {size / rows if rows else 0:10.0f}")
    print(f"{'total':30s} {total_rows:14,d} {total_bytes / 2**20:10.1f}")
    if plan is None:
        return
    # What the full materialisation really costs: rows per bucket where it came from raw rows.
    raw_from = from_us(plan.anchor)
    print("full materialisation, rows per bucket: real (refreshed from raw) vs scaled-down synthetic")
    for level, relation, width in (
        ("1min", "requests_1min", MINUTE),
        ("5min", "requests_5min", FIVE),
        ("1hour", "requests_1hour", HOUR),
    ):
        cursor.execute(BUCKET_ROWS_SQL.format(relation=relation), [raw_from, raw_from + timedelta(hours=2)])
        real_rows, real_buckets = cursor.fetchone()
        cursor.execute(BUCKET_ROWS_SQL.format(relation=relation), [raw_from - timedelta(hours=2), raw_from])
        synthetic_rows, synthetic_buckets = cursor.fetchone()
        real = real_rows / real_buckets if real_buckets else 0
        synthetic = synthetic_rows / synthetic_buckets if synthetic_buckets else 0
        per_year = real * (365 * DAY // width)
        print(
            f"  {level:5s} real {real:10,.0f}/bucket  synthetic {synthetic:8,.0f}/bucket  "
            f"-> a year at the real density: {per_year / 1e9:.2f} billion rows"
        )


# Row sets compared with EXCEPT ALL over every column of MEASURES, h1..h129 included: set operations
# treat NULLs as not distinct, so an empty slot (NULL) matches only an empty slot.
CHECK_LEVEL_SQL = (
    "WITH derived AS ({select}), stored AS (SELECT bucket, {dims}, {measures} FROM {relation} "
    "WHERE bucket >= %s AND bucket < %s) "
    "SELECT (SELECT count(*) FROM (SELECT * FROM derived EXCEPT ALL SELECT * FROM stored) missing), "
    "(SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM derived) extra), "
    "(SELECT count(*) FROM stored)"
)
TOTALS_SQL = (
    "SELECT bucket, {keys}, sum(request_count), {errors}, sum(response_time_sum), min(response_time_min), "
    "max(response_time_max), {histogram} FROM {relation} "
    "WHERE bucket >= %s AND bucket < %s GROUP BY bucket, {keys}"
)
# Rows keyed by status whose error columns are not request_count or 0 as their status says.
CHECK_ERRORS_SQL = "SELECT count(*) FILTER (WHERE {wrong}), count(*) FROM {relation} WHERE bucket >= %s AND bucket < %s"
CHECK_TOTALS_SQL = (
    "WITH a AS ({a}), b AS ({b}) SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b) x) "
    "+ (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a) y), (SELECT count(*) FROM a)"
)


def check(cursor, plan: Plan) -> bool:
    """Each coarser level equals select_sql() over the finer one, and the materialisations agree: every one
    with svc per (bucket, service), status with full per (bucket, service, status); where a relation keeps
    the status, its error columns are request_count or 0 as that status says."""
    from telemetry.rollups.catalog import ERROR_COUNTS, FULL, LEVEL_BY_NAME, MATERIALISATIONS, MEASURES, select_sql
    from telemetry.rollups.histogram import HISTOGRAM_COLUMNS

    def span(start_us, width):
        return from_us(start_us), from_us(start_us + width)

    def totals(relation, keys):
        errors = ", ".join(f"sum({name})" for name in ERROR_COUNTS)
        histogram = ", ".join(f"sum({column})" for column in HISTOGRAM_COLUMNS)  # bigint: no overflow
        return TOTALS_SQL.format(relation=relation, keys=", ".join(keys), errors=errors, histogram=histogram)

    today = plan.anchor // DAY * DAY
    cases = [  # (coarse level, [start, end)) in each generated period
        ("6hour", span(plan.hour_from, DAY)),  # 6hour from generated 1hour rows
        ("1day", span(plan.hour_from, DAY)),  # 1day from those 6hour rows
        ("6hour", span(today - DAY, DAY)),  # yesterday: 5min- and 1min-derived hours
        ("1day", span(today - DAY, DAY)),
        ("1hour", span(plan.fivemin_from, 2 * HOUR)),  # from generated 5min rows
        ("5min", span(plan.anchor - 2 * HOUR, 2 * HOUR)),  # from generated 1min rows
        ("1hour", span(plan.anchor - 2 * HOUR, 2 * HOUR)),
        ("5min", span(plan.anchor, HOUR)),  # the refresher's, from raw-derived 1min rows
    ]
    ok = True
    for level_name, (start, end) in cases:
        level = LEVEL_BY_NAME[level_name]
        for materialisation in MATERIALISATIONS:
            relation = materialisation.relation(level)
            select = select_sql(level, materialisation, where="WHERE bucket >= %s AND bucket < %s")
            cursor.execute(
                CHECK_LEVEL_SQL.format(
                    select=select,
                    dims=", ".join(materialisation.dimensions),
                    measures=", ".join(MEASURES),
                    relation=relation,
                ),
                [start, end, start, end],
            )
            missing, extra, rows = cursor.fetchone()
            ok &= missing == extra == 0 and rows > 0
            print(
                f"  {relation:26s} {start:%m-%d %H:%M}..{end:%m-%d %H:%M}: {rows:9,d} rows, "
                f"{missing} missing, {extra} extra vs select_sql()"
            )
    for level_name, start_us in (
        ("1day", plan.hour_from),
        ("6hour", plan.hour_from),
        ("1hour", plan.fivemin_from),
        ("5min", plan.anchor - HOUR),
        ("1min", plan.anchor - HOUR),
    ):
        level = LEVEL_BY_NAME[level_name]
        start, end = span(start_us, DAY if level_name in ("6hour", "1day") else HOUR)
        by_name = {materialisation.name: materialisation.relation(level) for materialisation in MATERIALISATIONS}
        comparisons = [(by_name["svc"], relation, ("service",)) for name, relation in by_name.items() if name != "svc"]
        comparisons.append((by_name["status"], FULL.relation(level), ("service", "status")))
        for reference, relation, keys in comparisons:
            cursor.execute(
                CHECK_TOTALS_SQL.format(a=totals(reference, keys), b=totals(relation, keys)), [start, end, start, end]
            )
            differ, groups = cursor.fetchone()
            ok &= differ == 0 and groups > 0
            print(f"  {relation:26s} vs {reference}: {groups:,} (bucket, {', '.join(keys)}) totals, {differ} differ")
        for relation in (by_name["status"], FULL.relation(level)):
            wrong = " OR ".join(
                f"{name} <> CASE WHEN {condition} THEN request_count ELSE 0 END"
                for name, condition in ERROR_COUNTS.items()
            )
            cursor.execute(CHECK_ERRORS_SQL.format(wrong=wrong, relation=relation), [start, end])
            differ, rows = cursor.fetchone()
            ok &= differ == 0 and rows > 0
            print(f"  {relation:26s} {rows:,} rows, {differ} with error counts that contradict their status")
    return ok


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="empty the bench data first")
    parser.add_argument("--days", type=int, default=365, help="history in days (default 365)")
    parser.add_argument("--hour-days", type=int, default=30, help="days the 1hour level holds (default 30)")
    parser.add_argument("--fivemin-days", type=int, default=2, help="days the 5min level holds (default 2)")
    parser.add_argument("--minute-hours", type=int, default=24, help="hours the 1min level holds (default 24)")
    parser.add_argument(
        "--raw-minutes",
        type=int,
        default=90,
        help="raw rows from the hour N minutes ago on (default 90: 1.5 to 2.5 hours of raw rows)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel COPY connections (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the statistical draws (default 1)")
    parser.add_argument("--report", action="store_true", help="only print rows and sizes per relation")
    parser.add_argument("--top-up", action="store_true", help="only add raw rows up to now and refresh")
    parser.add_argument(
        "--check", action="store_true", help="only check consistency between levels and materialisations"
    )
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE at the end")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    from telemetry.edition import has_continuous_aggregates

    if has_continuous_aggregates():
        raise SystemExit(
            "The dataset is written straight into the rollups, which the community edition keeps as continuous "
            "aggregates: run the query benchmark on an Apache-edition database (as `scripts/provision-db.sh` makes)."
        )
    if args.top_up:
        print(top_up())
        return 0
    with connection.cursor() as cursor:
        state = read_state(cursor)
        if args.check:
            plan = Plan(**{k: int(v) for k, v in state.items() if k in Plan.__dataclass_fields__})
            consistent = check(cursor, plan)
            print("consistent" if consistent else "INCONSISTENT")
            return 0 if consistent else 1
        if args.report:
            plan = (
                Plan(**{k: int(v) for k, v in state.items() if k in Plan.__dataclass_fields__})
                if "anchor" in state
                else None
            )
            report(cursor, plan)
            return 0
    print(f"uptime before: {common.uptime()}", flush=True)
    print(f"code: {common.code_version()}", flush=True)
    began = time.monotonic()
    reset_first = args.reset
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return seed(args, reset_first, began)
        except (psycopg.OperationalError, DjangoOperationalError, DjangoInterfaceError) as exc:
            # The shared cluster gets restarted (tests/reliability restarts it): wait, then resume
            # from the last checkpoint, with the same anchor.
            if attempt == MAX_ATTEMPTS:
                raise
            print(
                f"database connection lost ({type(exc).__name__}: {str(exc).strip()[:80]}); "
                f"resuming in {RETRY_PAUSE_S} s (attempt {attempt + 1} of {MAX_ATTEMPTS})",
                flush=True,
            )
            reset_first = False
            time.sleep(RETRY_PAUSE_S)
            connections.close_all()
            common.wait_for_database()
    return 1


def seed(args, reset_first: bool, began: float) -> int:
    """Seed (or resume) the dataset; see the module docstring."""
    from django.db import connection

    keys = ensure_accounts()
    with connection.cursor() as cursor:
        state = read_state(cursor)
        if reset_first:
            reset(cursor)
            state = read_state(cursor)
        if state.get("done") == "all":
            print("The dataset is complete; use --reset to seed a fresh one, --top-up to extend it to now.")
            return 0
        if "anchor" in state:
            plan = Plan(**{k: int(v) for k, v in state.items() if k in Plan.__dataclass_fields__})
            resume_from = int(state.get("synthetic_until", plan.start))
            print(f"resuming from {from_us(resume_from):%Y-%m-%d %H:%M} UTC")
            for relation in relations():
                cursor.execute(DELETE_FROM_SQL.format(relation=relation), [from_us(resume_from)])
        else:
            plan = Plan.build(datetime.now(UTC), args)
            write_state(cursor, **{k: getattr(plan, k) for k in Plan.__dataclass_fields__})
            resume_from = plan.start
    print(f"plan (UTC):\n{plan.describe()}", flush=True)

    seeder = Seeder(args, keys)
    writers = Writers(args.jobs)
    phase = time.monotonic()
    day_start = resume_from
    days_total = -(-(plan.anchor - plan.start) // DAY)
    try:
        while day_start < plan.anchor:
            generator = Generator(seeder.model, seed=args.seed * 100_003 + day_start // DAY)  # per day: resumable
            seeder.day(writers, generator, plan, day_start)
            day_start += DAY
            if (
                plan.finest(day_start - DAY) != "1day"
                or (day_start - plan.start) // DAY % 16 == 0
                or day_start >= plan.anchor
            ):
                writers.drain()
                with connection.cursor() as cursor:
                    write_state(cursor, synthetic_until=min(day_start, plan.anchor))
                done = (min(day_start, plan.anchor) - plan.start) / DAY
                print(
                    f"  {from_us(day_start - DAY):%Y-%m-%d} ({plan.finest(day_start - DAY)}): {done:.0f}/{days_total} "
                    f"days, {seeder.generated:,} rollup rows, {time.monotonic() - phase:.0f} s",
                    flush=True,
                )
        writers.drain()
    finally:
        writers.close()
    synthetic_seconds = time.monotonic() - phase
    own_cpu = cpu_seconds(os.getpid())
    print(
        f"synthetic rollups: {seeder.generated:,} rows in {synthetic_seconds:.0f} s "
        f"({seeder.generated / max(synthetic_seconds, 1e-9):,.0f} rows/s); CPU: this process {own_cpu:.0f} s, "
        f"COPY backends {writers.backend_cpu:.0f} s",
        flush=True,
    )

    raw_rows = raw_seconds = refresh_seconds = 0
    if "raw_done" not in state:
        with connection.cursor() as cursor:
            # Every level holds every complete bucket before the anchor; the refresher takes it from there.
            for level in ("1min", "5min", "1hour"):
                cursor.execute(SET_WATERMARK_SQL, [from_us(plan.anchor), level])
            cursor.execute(SET_WATERMARK_SQL, [from_us(plan.anchor // QUARTER_DAY * QUARTER_DAY), "6hour"])
            cursor.execute(SET_WATERMARK_SQL, [from_us(plan.anchor // DAY * DAY), "1day"])
            cursor.execute("TRUNCATE malti_dirty_minutes, malti_dirty_buckets")
            cursor.execute(MARK_WEEKS_SQL, [from_us(plan.start), from_us(plan.anchor)])
            cursor.execute("DELETE FROM requests WHERE created_at >= %s", [from_us(plan.anchor)])
        phase = time.monotonic()
        raw_rows = ingest_raw(from_us(plan.anchor), datetime.now(UTC), draw_seed=args.seed, keys=keys)
        raw_seconds = time.monotonic() - phase
        print(f"raw: {raw_rows:,} rows from {from_us(plan.anchor):%H:%M} UTC to now in {raw_seconds:.0f} s", flush=True)
        refreshed, refresh_seconds = refresh_rollups()
        print(f"refresher: {refreshed} in {refresh_seconds:.0f} s", flush=True)
        with connection.cursor() as cursor:
            write_state(cursor, raw_done=1)

    vacuum_seconds = 0.0
    if not args.no_vacuum:
        # A live instance's rollups are vacuumed long before anyone queries a month of them;
        # without this the first queries pay for setting hint bits.
        phase = time.monotonic()
        connection.ensure_connection()
        with connection.cursor() as cursor:
            for relation in ["requests", *relations()]:
                cursor.execute(f"VACUUM (ANALYZE) {relation}")
        vacuum_seconds = time.monotonic() - phase
        print(f"vacuum analyze: {vacuum_seconds:.0f} s", flush=True)
    with connection.cursor() as cursor:
        write_state(cursor, done="all")
    elapsed = time.monotonic() - began
    print(f"uptime after: {common.uptime()}")
    with connection.cursor() as cursor:
        report(cursor, plan)
    print(
        f"BENCH seed elapsed_s={elapsed:.0f} synthetic_s={synthetic_seconds:.0f} synthetic_rows={seeder.generated} "
        f"raw_rows={raw_rows} raw_s={raw_seconds:.0f} refresh_s={refresh_seconds:.0f} vacuum_s={vacuum_seconds:.0f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
