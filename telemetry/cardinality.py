"""Cardinality guard: one service sending raw paths or a consumer per end user cannot blow up the rollups.

At ingest, in the batch's transaction, each service's endpoints may first be
normalised (ID-like path segments become {id}); then each guarded dimension's
values are checked against the values its service has admitted over the last
day. New values are admitted while there is room under the service's limit;
beyond it they are stored as OTHER in the column every rollup reads, and raw
rows keep what was sent in `<dimension>_original`. Counts and totals stay
exact; only the breakdown is coarser.

Each process remembers what it has seen admitted (and folded) for a minute,
so a batch of known values costs no statement at all; a value it has not seen
costs one lookup that also marks it seen, and admitting takes a lock per
service and dimension so that concurrent batches never admit past the limit.
"""

import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from django.conf import settings
from django.db import transaction

from telemetry.models.cardinality import DEFAULT_LIMITS, GUARDED_DIMENSIONS, OTHER, WINDOW, CardinalityLimits
from telemetry.models.raw import COLUMNS, ORIGINAL_COLUMNS

SERVICE = COLUMNS.index("service")
ENDPOINT = COLUMNS.index("endpoint")
DIMENSION_INDEX = {dimension: COLUMNS.index(dimension) for dimension in GUARDED_DIMENSIONS}
REMEMBER_SECONDS = 60.0  # what a process knows of limits and admitted values, before it reads them again
MAX_REMEMBERED_FOLDS = 100_000  # per service and dimension: past this, folded values are looked up again
EXAMPLES = 5

# A path segment that names one thing rather than a route: a number, a UUID, a
# long hex string (hashes, object ids), or a long token mixing cases and digits.
ID_SEGMENT = re.compile(
    r"\d+"
    r"|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
    r"|(?=[^/]*\d)[0-9a-fA-F]{16,}"
    r"|(?=[^/]*\d)(?=[^/]*[a-z])(?=[^/]*[A-Z])[A-Za-z0-9_\-+]{16,}={0,2}"
)

# Admitted values among those given, marked seen now (expired ones are not admitted).
TOUCH_SQL = """
UPDATE malti_admitted_values SET last_seen = now()
WHERE service_key = %s AND dimension = %s AND value = ANY(%s) AND last_seen >= now() - %s::interval
RETURNING value
"""
# Serialises admission per service and dimension, until the batch commits.
ADMISSION_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('malti-cardinality/' || %s || '/' || %s, 0))"
ADMITTED_COUNT_SQL = """
SELECT count(*) FROM malti_admitted_values
WHERE service_key = %s AND dimension = %s AND last_seen >= now() - %s::interval
"""
ADMIT_SQL = """
INSERT INTO malti_admitted_values (service_key, dimension, value, last_seen)
SELECT %s, %s, unnest(%s::text[]), now()
ON CONFLICT (service_key, dimension, value) DO UPDATE SET last_seen = excluded.last_seen
"""
# A limit hit: `since` starts again when the last fold is older than the window.
OVERFLOW_SQL = """
INSERT INTO malti_cardinality_overflows AS overflow (service_key, dimension, since, last_folded, examples)
VALUES (%s, %s, now(), now(), to_jsonb(%s::text[]))
ON CONFLICT (service_key, dimension) DO UPDATE SET
    since = CASE WHEN overflow.last_folded < now() - %s::interval THEN now() ELSE overflow.since END,
    last_folded = now(),
    examples = excluded.examples
"""


def id_segment(segment: str) -> bool:
    return ID_SEGMENT.fullmatch(segment) is not None


@lru_cache(maxsize=65_536)
def normalise_path(path: str) -> str:
    """`/orders/9f1c…/items/42` -> `/orders/{id}/items/{id}`; a route template, or what is no path, stays."""
    if not path.startswith("/") or not any(character.isdigit() for character in path):
        return path  # every ID-like segment has a digit: most templates are done here
    return "/".join("{id}" if id_segment(segment) else segment for segment in path.split("/"))


@dataclass
class Policy:
    limits: dict
    normalise_paths: bool
    read_at: float = field(default_factory=time.monotonic)


@dataclass
class Admissions:
    """One service's dimension as this process last knew it."""

    admitted: set = field(default_factory=set)
    folded: set = field(default_factory=set)
    full: bool = False
    overflow_recorded_at: float = 0.0
    read_at: float = field(default_factory=time.monotonic)


class Guard:
    def __init__(self):
        self._policies: dict[str, Policy] = {}
        self._admissions: dict[tuple[str, str], Admissions] = {}
        self._lock = threading.Lock()

    def forget(self):
        """Read limits and admitted values afresh (tests)."""
        self._policies.clear()
        self._admissions.clear()

    def policy(self, service_key: str) -> Policy:
        known = self._policies.get(service_key)
        if known is None or time.monotonic() - known.read_at > REMEMBER_SECONDS:
            stored = CardinalityLimits.objects.filter(service__telemetry_key=service_key).first()
            if stored is None:
                known = Policy(dict(DEFAULT_LIMITS), normalise_paths=True)
            else:
                known = Policy(
                    {dimension: stored.limit(dimension) for dimension in GUARDED_DIMENSIONS}, stored.normalise_paths
                )
            self._policies[service_key] = known
        return known

    def admissions(self, service_key: str, dimension: str) -> Admissions:
        known = self._admissions.get((service_key, dimension))
        if known is None or time.monotonic() - known.read_at > REMEMBER_SECONDS:
            known = self._admissions[service_key, dimension] = Admissions()
        return known

    def to_fold(self, cursor, service_key: str, dimension: str, values: set, limit: int) -> set:
        """The values of a batch stored as OTHER: those past the limit. Admits the others."""
        known = self.admissions(service_key, dimension)
        unknown = values - known.admitted - known.folded
        if not unknown:
            return values & known.folded
        cursor.execute(TOUCH_SQL, [service_key, dimension, list(unknown), WINDOW])
        admitted = {row[0] for row in cursor.fetchall()}
        new = unknown - admitted
        fold, full = set(), known.full
        if new and full:
            fold = new
        elif new:
            cursor.execute(ADMISSION_LOCK_SQL, [service_key, dimension])
            cursor.execute(ADMITTED_COUNT_SQL, [service_key, dimension, WINDOW])
            room = max(0, limit - cursor.fetchone()[0])
            admit = sorted(new)[:room]
            if admit:
                cursor.execute(ADMIT_SQL, [service_key, dimension, admit])
            admitted |= set(admit)
            fold = new - admitted
            full = len(new) >= room
        if fold and time.monotonic() - known.overflow_recorded_at > REMEMBER_SECONDS / 2:
            cursor.execute(OVERFLOW_SQL, [service_key, dimension, sorted(fold)[:EXAMPLES], WINDOW])
            known.overflow_recorded_at = time.monotonic()

        def remember():  # only what the database now holds: after the batch commits
            with self._lock:
                known.admitted |= admitted
                if len(known.folded) < MAX_REMEMBERED_FOLDS:
                    known.folded |= fold
                known.full = full

        transaction.on_commit(remember)
        return (values & known.folded) | fold

    def apply(self, cursor, rows: list[tuple]) -> tuple[list[tuple], bool]:
        """The rows as stored: (rows, False) unchanged, or (rows with ORIGINAL_COLUMNS appended, True)."""
        if not settings.MALTI_CARDINALITY_GUARD or not rows:
            return rows, False
        # The distinct values of a column, in C (map, itemgetter): about 25 us for 1000 rows.
        services = set(map(itemgetter(SERVICE), rows))
        if len(services) > 1:  # one service per batch from ingest; the demo and imports may mix them
            by_service = {service: [] for service in services}
            for row in rows:
                by_service[row[SERVICE]].append(row)
            applied = [self.apply(cursor, service_rows) for service_rows in by_service.values()]
            if not any(changed for _, changed in applied):
                return rows, False
            return [row for service_rows, changed in applied for row in widen(service_rows, changed)], True
        (service_key,) = services
        policy = self.policy(service_key)
        stored_as = {}  # dimension -> {value sent: value stored}, for the values that change
        if policy.normalise_paths:
            renamed = {path: normalise_path(path) for path in set(map(itemgetter(ENDPOINT), rows))}
            stored_as["endpoint"] = {path: template for path, template in renamed.items() if template != path}
        for dimension in GUARDED_DIMENSIONS:
            changes = stored_as.setdefault(dimension, {})
            sent = set(map(itemgetter(DIMENSION_INDEX[dimension]), rows))
            sent.discard(None)
            values = {changes.get(value, value) for value in sent} if changes else sent
            fold = self.to_fold(cursor, service_key, dimension, values, policy.limits[dimension])
            if fold:
                for value in sent:
                    if changes.get(value, value) in fold:
                        changes[value] = OTHER
        if not any(stored_as.values()):
            return rows, False
        return [stored_row(row, stored_as) for row in rows], True


def stored_row(row: tuple, stored_as: dict) -> tuple:
    stored, originals = list(row), []
    for dimension in GUARDED_DIMENSIONS:
        index = DIMENSION_INDEX[dimension]
        value = row[index]
        replacement = stored_as[dimension].get(value)
        if replacement is None:
            originals.append(None)
        else:
            stored[index] = replacement
            originals.append(value)
    return (*stored, *originals)


def widen(rows: list[tuple], changed: bool) -> list[tuple]:
    """Rows a guard left as they were, with empty ORIGINAL_COLUMNS, beside rows it changed."""
    return rows if changed else [(*row, *(None,) * len(ORIGINAL_COLUMNS)) for row in rows]


guard = Guard()
