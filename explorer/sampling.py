"""Which ingested records the 14-day sample keeps, chosen inside ingest's transaction.

Every 5xx, every request at least as slow as its service's threshold (a fixed
value from its SamplingPolicy, or else its p99 of the previous day from the
rollups), and a share of the rest (the policy's, or MALTI_SAMPLE_RATE). The
rules are cached in the process: policies for a few minutes, the previous
day's p99 until the day changes, so a batch pays one Python pass over its rows
and, when any is kept, one more binary COPY.
"""

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction

from accounts.models import Service
from explorer.models import SAMPLE_TABLE, SamplingPolicy
from malti_site import clock
from telemetry.models.raw import COLUMNS, COPY_TYPES

SAMPLE_COPY_SQL = f"COPY {SAMPLE_TABLE} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
SERVICE, STATUS, RESPONSE_TIME = (COLUMNS.index(name) for name in ("service", "status", "response_time"))
POLICY_TTL_SECONDS = 300
SERVER_ERROR = 500


@dataclass(frozen=True)
class Rule:
    """What the sample keeps of one service."""

    slow_ms: float | None  # keep every request with response_time >= this; None: no slow rule (no traffic yesterday)
    share: float  # and this share of the others


@dataclass(frozen=True)
class Rules:
    """Every service's rule: its policy where it has one, else the defaults and yesterday's p99."""

    policies: dict  # telemetry key -> (fixed threshold ms or None, share or None)
    p99: dict  # telemetry key -> previous day's p99 (ms)
    default_share: float

    def for_service(self, key: str) -> Rule:
        fixed, share = self.policies.get(key, (None, None))
        return Rule(
            slow_ms=fixed if fixed is not None else self.p99.get(key),
            share=self.default_share if share is None else share,
        )

    def select(self, rows, draw=random.random) -> list[tuple]:
        """The rows (raw COLUMNS order) the sample keeps; `draw` is the random source (seedable in tests)."""
        # Once per ingested record: kept flat (no call per row but the random draw).
        rules = {}
        kept = []
        append = kept.append
        for row in rows:
            if row[STATUS] >= SERVER_ERROR:
                append(row)
                continue
            rule = rules.get(row[SERVICE])
            if rule is None:
                rule = rules[row[SERVICE]] = self.for_service(row[SERVICE])
            if (rule.slow_ms is not None and row[RESPONSE_TIME] >= rule.slow_ms) or (
                rule.share and draw() < rule.share
            ):
                append(row)
        return kept


def sample_note() -> str:
    """What the sample keeps, in a sentence (for the explorer's answers)."""
    return (
        "The sample keeps every 5xx, every request at least as slow as its service's p99 of the previous day "
        f"(or the service's fixed threshold), and {settings.MALTI_SAMPLE_RATE * 100:g} % of the rest (or the "
        f"service's own share), for {settings.MALTI_RETENTION_SAMPLE}."
    )


def previous_day_p99(now: datetime) -> dict[str, float]:
    """Each service's p99 of the previous UTC day, from the rollups (stored key -> ms)."""
    # Imported here: the rollup query layer imports telemetry.models, which this module's importer is.
    from telemetry.rollups.catalog import LEVEL_BY_NAME
    from telemetry.rollups.histogram import percentiles
    from telemetry.rollups.query import MetricsReader, Scope, floor_to

    day = LEVEL_BY_NAME["1day"]
    end = floor_to(now, day)
    scope = Scope(start=end - timedelta(days=1), end=end, level=day, filters={})
    keys = tuple(Service.objects.values_list("telemetry_key", flat=True))
    found = {}
    for row in MetricsReader(scope, keys).grouped(("service",), limit=None):
        (p99,) = percentiles(row["histogram"], [0.99], row["time_min"], row["time_max"])
        if p99 is not None:
            found[row["service"]] = p99
    return found


# Ingest never waits on the rollups: a p99 read that would wait for a lock gives up at once.
P99_LOCK_TIMEOUT = "200ms"
P99_RETRY_SECONDS = 60
LOCK_TIMEOUT_SQL = "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)"
RESTORE_LOCK_TIMEOUT_SQL = "SELECT set_config('lock_timeout', %s, true)"


def previous_day_p99_at_once(now: datetime) -> dict[str, float] | None:
    """previous_day_p99(), or None when a rollup it reads is locked (in a savepoint of ingest's transaction)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(LOCK_TIMEOUT_SQL, [P99_LOCK_TIMEOUT])
            previous = cursor.fetchone()[0]
            found = previous_day_p99(now)
            cursor.execute(RESTORE_LOCK_TIMEOUT_SQL, [previous])
            return found
    except OperationalError:
        return None


class RulesCache:
    """The rules of this process: policies re-read every few minutes, the p99s once a day."""

    def __init__(self):
        self._lock = threading.Lock()
        self._policies = None  # (monotonic time read, {key: (fixed, share)})
        self._p99 = None  # (the day they are for, {key: ms})
        self._p99_retry = 0.0  # monotonic time before which a failed read is not tried again

    def current(self, now: datetime | None = None) -> Rules:
        now = now or clock.now()
        with self._lock:
            if self._policies is None or time.monotonic() - self._policies[0] > POLICY_TTL_SECONDS:
                stored = SamplingPolicy.objects.values_list("service__telemetry_key", "slow_threshold_ms", "share")
                self._policies = (time.monotonic(), {key: (fixed, share) for key, fixed, share in stored})
            if (self._p99 is None or self._p99[0] != now.date()) and time.monotonic() >= self._p99_retry:
                found = previous_day_p99_at_once(now)
                if found is None:  # the rollups are busy: no slow threshold for a minute, ingest goes on
                    self._p99_retry = time.monotonic() + P99_RETRY_SECONDS
                else:
                    self._p99 = (now.date(), found)
            return Rules(self._policies[1], self._p99[1] if self._p99 else {}, settings.MALTI_SAMPLE_RATE)

    def forget(self):
        """Re-read everything at the next batch (after a policy change in a test or a shell)."""
        with self._lock:
            self._policies = self._p99 = None
            self._p99_retry = 0.0


rules_cache = RulesCache()


def keep_sample(cursor, rows, draw=random.random) -> int:
    """Store the rows the sample keeps, on ingest's cursor (its transaction); how many were kept."""
    if not settings.MALTI_SAMPLE_ENABLED:
        return 0
    kept = rules_cache.current().select(rows, draw)
    if kept:
        # A binary COPY, as for the raw rows: an INSERT ... unnest of the same 20 rows took
        # 0.9 ms on the server against 0.5 ms (its extra round trip included), bench/README.
        with cursor.copy(SAMPLE_COPY_SQL) as copy:
            copy.set_types(COPY_TYPES)
            write_row = copy.write_row
            for row in kept:
                write_row(row)
    return len(kept)
