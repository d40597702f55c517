"""Retention per level: what each level keeps, and dropping whole chunks past it.

Apache edition: Malti's worker drops chunks (`retention apply`). Community
edition: TimescaleDB's retention policies do it; `retention set` changes them.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from telemetry import retention_cache
from telemetry.edition import has_continuous_aggregates
from telemetry.models.retention import LEVELS, RetentionPolicy, parse_duration_text
from telemetry.rollups.catalog import LEVEL_BY_NAME, MATERIALISATIONS

# The 1-minute continuous aggregates re-read six hours of raw rows.
MIN_RAW_RETENTION = {True: timedelta(hours=6), False: timedelta(hours=1)}

SHOW_CHUNKS_SQL = "SELECT count(*) FROM show_chunks(%s::regclass, older_than => now() - %s::interval)"
DROP_CHUNKS_SQL = "SELECT count(*) FROM drop_chunks(%s::regclass, older_than => now() - %s::interval)"
SIZE_SQL = "SELECT coalesce(hypertable_size(%s::regclass), 0)"
RANGE_SQL = "SELECT min({column}), max({column}) FROM {relation}"
REMOVE_POLICY_SQL = "SELECT remove_retention_policy(%s::regclass, if_exists => true)"
ADD_POLICY_SQL = "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval, if_not_exists => true)"


def relations_of(level: str) -> list[str]:
    if level == "raw":
        return ["requests"]
    return [m.relation(LEVEL_BY_NAME[level]) for m in MATERIALISATIONS]


def _interval(duration: timedelta) -> str:
    return f"{int(duration.total_seconds())} seconds"


@dataclass
class LevelReport:
    level: str
    keep_for: timedelta
    oldest: object
    newest: object
    size_bytes: int
    chunks: int = 0


def show() -> list[LevelReport]:
    durations = RetentionPolicy.objects.durations()
    reports = []
    with connection.cursor() as cursor:
        for level in LEVELS:
            names = relations_of(level)
            column = "created_at" if level == "raw" else "bucket"
            # The full materialisation has the widest range of a level.
            cursor.execute(RANGE_SQL.format(column=column, relation=names[-1]))
            oldest, newest = cursor.fetchone()
            size = 0
            for name in names:
                cursor.execute(SIZE_SQL, [name])
                size += cursor.fetchone()[0]
            reports.append(LevelReport(level, durations[level], oldest, newest, size))
    return reports


def set_policy(level: str, text: str) -> timedelta:
    if level not in LEVELS:
        raise ValidationError(f"Unknown level {level!r}; use one of {', '.join(LEVELS)}.")
    duration = parse_duration_text(text)
    community = has_continuous_aggregates()
    if level == "raw" and duration < MIN_RAW_RETENTION[community]:
        raise ValidationError(
            f"Raw data must be kept at least {MIN_RAW_RETENTION[community]} (rollups are built from it)."
        )
    if duration <= timedelta(0):
        raise ValidationError("A retention period must be positive.")
    with transaction.atomic():
        RetentionPolicy.objects.update_or_create(level=level, defaults={"keep_for": text.strip()})
        if community:
            _sync_policies(level, duration)
    retention_cache.forget()
    return duration


def _sync_policies(level: str, duration: timedelta):
    with connection.cursor() as cursor:
        for name in relations_of(level):
            cursor.execute(REMOVE_POLICY_SQL, [name])
            cursor.execute(ADD_POLICY_SQL, [name, _interval(duration)])


def sync_all_policies():
    """Community edition: make TimescaleDB's policies match Malti's settings."""
    for level, duration in RetentionPolicy.objects.durations().items():
        _sync_policies(level, duration)


def apply(dry_run: bool = False) -> dict[str, int]:
    """Drop (or count, with dry_run) chunks past each level's retention."""
    dropped = {}
    durations = RetentionPolicy.objects.durations()
    with connection.cursor() as cursor:
        for level in LEVELS:
            count = 0
            for name in relations_of(level):
                cursor.execute(SHOW_CHUNKS_SQL if dry_run else DROP_CHUNKS_SQL, [name, _interval(durations[level])])
                count += cursor.fetchone()[0]
            dropped[level] = count
    return dropped
