"""Community edition: TimescaleDB's native compression settings for the raw table and every rollup.

This only says how a chunk is compressed; which chunks are, and when, is the
compression policies' business (telemetry/compression.py, MALTI_COMPRESS_AFTER).
The Apache edition cannot compress: nothing changes there.

segmentby: the columns every read filters on with equality, so a read
decompresses only the segments it asks for. Every metrics query filters on
service (telemetry/rollups/query.py); the endpoint and consumer
materialisations, and the full one, are also read by one endpoint or consumer,
the columns their indexes lead with. Segmenting by more (all of a full row's
dimensions) would leave a few rows per segment, which hardly compress.
orderby: newest first, as the reads range over time; it keeps each batch's
min/max time narrow so a range skips the batches outside it.

TimescaleDB compresses a chunk at a time, in batches of up to 1000 rows of a
segment. The continuous aggregates had TimescaleDB's default chunks, ten times
the raw table's (10 hours): at the 1-hour level and above a segment held a
handful of rows per chunk, and compressing made those levels bigger. Their new
chunks take the level's interval from the catalog, as the Apache edition's
tables always did.
"""

import time

from django.db import OperationalError, migrations

# Frozen: the relations, their chunks and segments as of this migration.
CHUNK_INTERVALS = {
    "1min": "1 day",
    "5min": "7 days",
    "1hour": "30 days",
    "6hour": "120 days",
    "1day": "365 days",
    "1week": "730 days",
}
SEGMENT_BY = {
    "svc": "service",
    "status": "service",
    "node": "service",
    "endpoint": "service, endpoint",
    "consumer": "service, consumer",
    "": "service, endpoint",
}

DEADLOCK_DETECTED = "40P01"
DEADLOCK_RETRIES = 5
IS_COMMUNITY_SQL = "SELECT current_setting('timescaledb.license', true) = 'timescale'"
COMPRESS_RAW = (
    "ALTER TABLE requests SET (timescaledb.compress, timescaledb.compress_segmentby = 'service', "
    "timescaledb.compress_orderby = 'created_at DESC')"
)
SET_CHUNK_INTERVAL_SQL = """
SELECT set_chunk_time_interval(
    format('%%I.%%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass, %s::interval
)
FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = %s
"""
DEFAULT_CHUNK_INTERVAL = "10 hours"  # what TimescaleDB gave them: ten times the raw table's chunk
COMPRESS_ROLLUP = (
    "ALTER MATERIALIZED VIEW {relation} SET (timescaledb.compress = true, "
    "timescaledb.compress_segmentby = '{segment_by}', timescaledb.compress_orderby = 'bucket DESC')"
)
# Back: every compressed chunk decompressed and the policies gone before compression can be turned off.
REMOVE_POLICY_SQL = "SELECT remove_compression_policy(%s::regclass, if_exists => true)"
DECOMPRESS_SQL = "SELECT count(decompress_chunk(chunk, if_compressed => true)) FROM show_chunks(%s::regclass) AS chunk"
UNCOMPRESS_RAW = "ALTER TABLE requests SET (timescaledb.compress = false)"
UNCOMPRESS_ROLLUP = "ALTER MATERIALIZED VIEW {relation} SET (timescaledb.compress = false)"


def _rollups():
    """(relation, its level's chunk interval, segmentby) of every continuous aggregate."""
    for level, chunk in CHUNK_INTERVALS.items():
        for name, segment_by in SEGMENT_BY.items():
            yield (f"requests_{name}_{level}" if name else f"requests_{level}"), chunk, segment_by


def _is_community(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(IS_COMMUNITY_SQL)
        return bool(cursor.fetchone()[0])


def _execute(cursor, sql, params=None):
    """One statement, in its own transaction (the migration is not atomic), again after a deadlock.

    TimescaleDB's scheduler may refresh an aggregate meanwhile: holding the
    locks of every relation altered so far until the end, as one transaction
    would, deadlocked with such a refresh; one relation at a time, a deadlock
    can still cancel a statement, which then simply runs again.
    """
    for attempt in range(DEADLOCK_RETRIES):
        try:
            cursor.execute(sql, params)
            return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED or attempt == DEADLOCK_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def enable_compression(apps, schema_editor):
    if not _is_community(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        _execute(cursor, COMPRESS_RAW)
        for relation, chunk, segment_by in _rollups():
            _execute(cursor, SET_CHUNK_INTERVAL_SQL, [chunk, relation])
            _execute(cursor, COMPRESS_ROLLUP.format(relation=relation, segment_by=segment_by))


def disable_compression(apps, schema_editor):
    if not _is_community(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        for relation in ["requests", *(relation for relation, _, _ in _rollups())]:
            _execute(cursor, REMOVE_POLICY_SQL, [relation])
            _execute(cursor, DECOMPRESS_SQL, [relation])
        _execute(cursor, UNCOMPRESS_RAW)
        for relation, _, _ in _rollups():
            _execute(cursor, UNCOMPRESS_ROLLUP.format(relation=relation))
            _execute(cursor, SET_CHUNK_INTERVAL_SQL, [DEFAULT_CHUNK_INTERVAL, relation])


class Migration(migrations.Migration):
    # Each relation in a transaction of its own (see _execute); every statement can run twice.
    atomic = False
    dependencies = [("telemetry", "0012_history_import")]

    operations = [migrations.RunPython(enable_compression, disable_compression)]
