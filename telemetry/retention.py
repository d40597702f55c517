"""Retention per level: what each level keeps, and dropping whole chunks past it.

A chunk is dropped only when it is past its level's retention *and* every
level built from it has rolled it up, so a refresher that stalls keeps the
raw rows (and finer levels) until it catches up: no acknowledged record is
lost to retention. Apache edition: Malti's worker runs `apply`; a level is
rolled up to the reading level's watermark or its oldest pending bucket,
whichever is older. Community edition: TimescaleDB's retention policies drop
regardless, so Malti runs its own TimescaleDB job instead
(`malti_apply_retention`, every 10 minutes, migration 0010), limited by
`malti_retention_guard`: the readers' continuous-aggregate watermarks and
their pending invalidations. `retention set` changes that job's settings.
The request explorer's sample is read by nothing: its chunks go when past
retention, by the worker (Apache) or a TimescaleDB retention policy (community).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection

from telemetry import retention_cache
from telemetry.edition import has_continuous_aggregates
from telemetry.models.retention import CHAIN, LEVELS, SAMPLE, RetentionPolicy, parse_duration_text
from telemetry.rollups import continuous
from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.progress import LevelProgress, progress
from telemetry.rollups.progress import relations_of as relations_of_level

# The 1-minute continuous aggregates re-read six hours of raw rows.
MIN_RAW_RETENTION = {True: timedelta(hours=6), False: timedelta(hours=1)}

# older_than: past retention, and rolled up by every reader (NULL, no reader: least() skips it).
CUTOFF = "least(now() - %s::interval, %s::timestamptz)"
SHOW_CHUNKS_SQL = f"SELECT count(*) FROM show_chunks(%s::regclass, older_than => {CUTOFF})"
DROP_CHUNKS_SQL = f"SELECT count(*) FROM drop_chunks(%s::regclass, older_than => {CUTOFF})"
SIZE_SQL = "SELECT coalesce(hypertable_size(%s::regclass), 0)"
RANGE_SQL = "SELECT min({column}), max({column}) FROM {relation}"
# Apache: how far the level reading this one has rolled it up.
APACHE_ROLLED_UP_SQL = """
SELECT least(
    (SELECT watermark FROM malti_refresh_state WHERE level = %(reader)s),
    (SELECT min(bucket) FROM malti_dirty_minutes WHERE %(from_raw)s),
    (SELECT min(bucket) FROM malti_dirty_buckets WHERE level = %(reader)s)
)
"""
# Community: the function migration 0010 made for Malti's retention job.
# (Before any refresh that is the earliest time, which Python cannot hold: nothing is dropped.)
COMMUNITY_ROLLED_UP_SQL = (
    "SELECT CASE WHEN guard < 'epoch' THEN 'epoch' ELSE guard END FROM malti_retention_guard(%s::regclass) AS guard"
)
SYNC_JOB_SQL = """
SELECT alter_job(job.job_id, config => (
    SELECT jsonb_build_object('drop_after', jsonb_object_agg(
        quote_ident(current_schema()) || '.' || quote_ident(relation.name), relation.keep_for))
    FROM unnest(%s::text[], %s::text[]) AS relation(name, keep_for)
))
FROM timescaledb_information.jobs AS job WHERE job.proc_name = 'malti_apply_retention'
"""
REMOVE_RETENTION_POLICY_SQL = "SELECT remove_retention_policy(%s::regclass, if_exists => true)"
ADD_RETENTION_POLICY_SQL = "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval)"


def relations_of(level: str) -> list[str]:
    if level == SAMPLE:
        from explorer.models import SAMPLE_TABLE  # (explorer's models need the app registry)

        return [SAMPLE_TABLE]
    return relations_of_level(None if level == "raw" else LEVEL_BY_NAME[level])


def reader_of(level: str) -> str | None:
    """The level built from this one (None for the coarsest, and for the sample)."""
    if level == SAMPLE:
        return None
    index = CHAIN.index(level)
    return CHAIN[index + 1] if index + 1 < len(CHAIN) else None


def _interval(duration: timedelta) -> str:
    return f"{int(duration.total_seconds())} seconds"


@dataclass
class LevelReport:
    level: str
    keep_for: timedelta
    oldest: object
    newest: object
    size_bytes: int
    progress: LevelProgress | None = None  # None for raw: it is not rolled up from anything


def show() -> list[LevelReport]:
    durations = RetentionPolicy.objects.durations()
    reports = []
    with connection.cursor() as cursor:
        progress_of = {report.level: report for report in progress(cursor)}
        for level in LEVELS:
            names = relations_of(level)
            column = "created_at" if level in ("raw", SAMPLE) else "bucket"
            # The full materialisation has the widest range of a level.
            cursor.execute(RANGE_SQL.format(column=column, relation=names[-1]))
            oldest, newest = cursor.fetchone()
            size = 0
            for name in names:
                cursor.execute(SIZE_SQL, [name])
                size += cursor.fetchone()[0]
            reports.append(LevelReport(level, durations[level], oldest, newest, size, progress_of.get(level)))
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
    if community and level != SAMPLE:
        # Refuse before storing: a refresh window reaching past its source's retention would delete rollups.
        continuous.start_offsets({**RetentionPolicy.objects.durations(), level: duration})
    RetentionPolicy.objects.update_or_create(level=level, defaults={"keep_for": text.strip()})
    if community and level == SAMPLE:
        sync_sample_policy(duration)
    elif community:
        # Each statement on its own (autocommit): a running refresh policy holds its job's lock while
        # it reads the level below, so changing several jobs in one transaction can deadlock with it.
        sync_retention_job()
        continuous.follow_retention()  # refresh windows follow raw retention (rollups/continuous.py)
    retention_cache.forget()
    return duration


def sync_retention_job():
    """Community edition: give Malti's retention job the current durations."""
    names, keep = [], []
    durations = RetentionPolicy.objects.durations()
    for level in CHAIN:
        duration = durations[level]
        for name in relations_of(level):
            names.append(name)
            keep.append(_interval(duration))
    with connection.cursor() as cursor:
        cursor.execute(SYNC_JOB_SQL, [names, keep])


def sync_sample_policy(duration: timedelta):
    """Community edition: the sample's TimescaleDB retention policy, for a new duration."""
    (relation,) = relations_of(SAMPLE)
    with connection.cursor() as cursor:
        cursor.execute(REMOVE_RETENTION_POLICY_SQL, [relation])
        cursor.execute(ADD_RETENTION_POLICY_SQL, [relation, _interval(duration)])


def rolled_up_until(cursor, level: str, relation: str) -> datetime | None:
    """How far the levels reading `relation` have rolled it up (None: nothing reads it)."""
    if level == SAMPLE:
        return None
    if has_continuous_aggregates():
        cursor.execute(COMMUNITY_ROLLED_UP_SQL, [relation])
        return cursor.fetchone()[0]
    reader = reader_of(level)
    if reader is None:
        return None
    cursor.execute(APACHE_ROLLED_UP_SQL, {"reader": reader, "from_raw": level == "raw"})
    return cursor.fetchone()[0]


@dataclass
class ApplyReport:
    dropped: dict[str, int] = field(default_factory=dict)  # chunks dropped (or, dry run, to drop) per level
    waiting: dict[str, int] = field(default_factory=dict)  # past retention, kept until rolled up


def apply(dry_run: bool = False) -> ApplyReport:
    """Drop (or count, with dry_run) chunks past each level's retention that are rolled up."""
    report = ApplyReport()
    durations = RetentionPolicy.objects.durations()
    with connection.cursor() as cursor:
        for level in LEVELS:
            dropped = past = 0
            keep = _interval(durations[level])
            for name in relations_of(level):
                cursor.execute(SHOW_CHUNKS_SQL, [name, keep, None])
                past += cursor.fetchone()[0]
                until = rolled_up_until(cursor, level, name)
                cursor.execute(SHOW_CHUNKS_SQL if dry_run else DROP_CHUNKS_SQL, [name, keep, until])
                dropped += cursor.fetchone()[0]
            report.dropped[level] = dropped
            report.waiting[level] = past - dropped
    return report
