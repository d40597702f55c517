"""Community edition: TimescaleDB's native compression of raw and rollup chunks past MALTI_COMPRESS_AFTER.

Migration 0013 says how each relation compresses (segmentby/orderby); this
module keeps one TimescaleDB compression policy per relation, whose age
follows the setting. A rollup's policy waits until its chunks are past the
refresh policy's window too: a refresh rewrites the buckets in its window,
and rewriting compressed rows decompresses and recompresses them. Late
records and range rebuilds still write into compressed chunks (TimescaleDB
2.19 inserts, updates and deletes there), only more slowly.

The policies are synced after every `migrate` (each web start) and after
`retention set`, which moves the refresh windows. MALTI_COMPRESS_AFTER empty
or 0 removes the policies; chunks already compressed stay compressed.
The Apache edition cannot compress: nothing here runs there.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.models.retention import parse_duration_text
from telemetry.rollups.catalog import LEVELS, MATERIALISATIONS
from telemetry.rollups.progress import RAW

# A continuous aggregate's chunks, policy and stats belong to its materialisation hypertable.
STORED_IN = """
FROM unnest(%s::text[]) AS relation(name)
LEFT JOIN timescaledb_information.continuous_aggregates AS cagg
    ON cagg.view_schema = current_schema() AND cagg.view_name = relation.name
CROSS JOIN LATERAL (
    SELECT coalesce(cagg.materialization_hypertable_schema, current_schema()) AS schema,
           coalesce(cagg.materialization_hypertable_name, relation.name) AS name
) AS stored
"""
POLICIES_SQL = (
    "SELECT relation.name, job.job_id, (job.config->>'compress_after')::interval"
    + STORED_IN
    + "JOIN timescaledb_information.jobs AS job ON job.proc_name = 'policy_compression' "
    "AND job.hypertable_schema = stored.schema AND job.hypertable_name = stored.name"
)
# The relations TimescaleDB can compress (migration 0013 set them up; an aggregate made again since has no settings).
COMPRESSIBLE_SQL = """
SELECT relation.name FROM unnest(%s::text[]) AS relation(name)
LEFT JOIN timescaledb_information.continuous_aggregates AS cagg
    ON cagg.view_schema = current_schema() AND cagg.view_name = relation.name
LEFT JOIN timescaledb_information.hypertables AS hypertable
    ON hypertable.hypertable_schema = current_schema() AND hypertable.hypertable_name = relation.name
WHERE coalesce(cagg.compression_enabled, hypertable.compression_enabled)
"""
# A new policy's first run waits an hour: chunks old enough can wait, and a policy re-added while
# something else compresses (compress_now, another start's sync) would otherwise run at once beside it
# and fail on a chunk already compressed.
ADD_POLICY_SQL = (
    "SELECT add_compression_policy(%s::regclass, compress_after => %s::interval, if_not_exists => true, "
    "initial_start => now() + interval '1 hour')"
)
REMOVE_POLICY_SQL = "SELECT remove_compression_policy(%s::regclass, if_exists => true)"
# CALL cannot run inside a transaction block; Django's autocommit cursor is fine.
RUN_JOB_SQL = "CALL run_job(%s)"
# Migration 0013 turned compression on (a backwards `migrate` may have turned it off again).
ENABLED_SQL = (
    "SELECT coalesce(bool_and(compression_enabled), false) FROM timescaledb_information.hypertables "
    "WHERE hypertable_schema = current_schema() AND hypertable_name = %s"
)
STATS_SQL = (
    "SELECT coalesce(sum(stats.before_compression_total_bytes), 0), "
    "coalesce(sum(stats.after_compression_total_bytes), 0), "
    "count(*) FILTER (WHERE stats.compression_status = 'Compressed'), count(*)"
    + STORED_IN
    + "CROSS JOIN LATERAL chunk_compression_stats(format('%%I.%%I', stored.schema, stored.name)::regclass) AS stats"
)


def compress_after_setting() -> timedelta | None:
    """MALTI_COMPRESS_AFTER as a duration; None when it is empty or 0 (compression off)."""
    text = (settings.MALTI_COMPRESS_AFTER or "").strip()
    if text in ("", "0"):
        return None
    return parse_duration_text(text)


def policy_ages() -> dict[str, timedelta]:
    """Each relation's compress_after: the setting, or later where its refresh window reaches further."""
    from telemetry.models import RetentionPolicy
    from telemetry.rollups.continuous import start_offsets

    setting = compress_after_setting()
    ages = {RAW: setting}
    offsets = start_offsets(RetentionPolicy.objects.durations())
    for level in LEVELS:
        # The window starts at a bucket boundary, up to one bucket before start_offset.
        age = max(setting, offsets[level.name] + level.width)
        for materialisation in MATERIALISATIONS:
            ages[materialisation.relation(level)] = age
    return ages


def relations() -> list[str]:
    return [RAW, *(materialisation.relation(level) for level in LEVELS for materialisation in MATERIALISATIONS)]


def policies(cursor) -> dict[str, tuple[int, timedelta]]:
    """Each relation's compression policy: its job id and compress_after."""
    cursor.execute(POLICIES_SQL, [relations()])
    return {relation: (job_id, age) for relation, job_id, age in cursor.fetchall()}


def sync_policies() -> int:
    """Community edition: make the compression policies match the setting; how many were changed."""
    if not has_continuous_aggregates():
        return 0
    wanted = policy_ages() if compress_after_setting() is not None else {}
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(COMPRESSIBLE_SQL, [relations()])
        compressible = {row[0] for row in cursor.fetchall()}
        wanted = {relation: age for relation, age in wanted.items() if relation in compressible}
        current = {relation: age for relation, (_, age) in policies(cursor).items()}
        for relation in relations():
            if current.get(relation) == wanted.get(relation):
                continue
            # Each statement on its own (autocommit), as continuous.follow_retention does.
            cursor.execute(REMOVE_POLICY_SQL, [relation])
            if relation in wanted:
                cursor.execute(ADD_POLICY_SQL, [relation, wanted[relation]])
            changed += 1
    return changed


def compress_now() -> int:
    """Run every compression policy now (what the scheduler does on its own); the number run."""
    with connection.cursor() as cursor:
        job_ids = [job_id for job_id, _ in policies(cursor).values()]
        for job_id in job_ids:
            cursor.execute(RUN_JOB_SQL, [job_id])
    return len(job_ids)


@dataclass
class CompressionStats:
    before_bytes: int  # the compressed chunks' size before compression
    after_bytes: int  # and after
    compressed_chunks: int
    chunks: int

    @property
    def ratio(self) -> float | None:
        return self.before_bytes / self.after_bytes if self.after_bytes else None


def stats(cursor, names: list[str]) -> CompressionStats:
    """How much compression saved over these relations' compressed chunks (community edition)."""
    cursor.execute(STATS_SQL, [names])
    return CompressionStats(*cursor.fetchone())


def sync_after_migrate(sender, using="default", **kwargs):
    """post_migrate: each web start runs `migrate`, so the policies follow the setting from then on."""
    if using != "default" or not has_continuous_aggregates():
        return
    with connection.cursor() as cursor:
        cursor.execute(ENABLED_SQL, [RAW])
        enabled = cursor.fetchone()[0]
    if enabled:
        sync_policies()
