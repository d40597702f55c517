from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from explorer.models import RequestSample
from telemetry.models import AdmittedValue, CardinalityOverflow


def raw_count(service=None) -> int:
    with connection.cursor() as cursor:
        if service is None:
            cursor.execute("SELECT count(*) FROM requests")
        else:
            cursor.execute("SELECT count(*) FROM requests WHERE service = %s", [service])
        return cursor.fetchone()[0]


def raw_rows(columns="service, node, method, endpoint, context, status, response_time, consumer, created_at"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM requests ORDER BY created_at")
        return cursor.fetchall()


# Every table of the schema with whether it has a primary key; Django's own are left out by the caller.
SCHEMA_TABLES_SQL = """
SELECT c.relname, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
# Community edition: the rollups are continuous aggregates; truncating one also resets its watermark.
CONTINUOUS_AGGREGATES_SQL = """
SELECT view_name FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()
"""
NON_KEY_COLUMNS_SQL = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND NOT a.attnum = ANY (coalesce((SELECT k.conkey FROM pg_constraint k
                                    WHERE k.conrelid = a.attrelid AND k.contype = 'p'), '{}'))
ORDER BY a.attnum
"""


# Jobs created during the run (policies re-added by a test) are paused as they appear.
PAUSE_JOBS_SQL = (
    "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE scheduled AND job_id >= 1000"
)


def pause_background_jobs():
    """Community edition: keep TimescaleDB's scheduler out of the test database.

    Its policies would refresh and drop concurrently with the tests (deadlocks in
    clean_telemetry, "tuple concurrently updated"); tests that need a job run it
    with CALL run_job(), which works whether the job is scheduled or not.
    """
    from telemetry.edition import has_continuous_aggregates

    if has_continuous_aggregates():
        with connection.cursor() as cursor:
            cursor.execute(PAUSE_JOBS_SQL)


def clean_telemetry():
    """Put every telemetry table back as migrate left it: the tables Django does not manage.

    Django's flush between transactional tests empties only its models' tables,
    which leaves raw rows, rollups, open buckets and the refreshers' state behind.
    The list comes from the database, so a table added later is cleaned too:
    tables without a primary key (raw rows, rollups, open buckets, dirty logs) and
    the community edition's continuous aggregates are emptied; a table keyed by a
    primary key holds seeded state (a refresh watermark per level), so its rows
    stay and every other column goes back to its default.
    """
    pause_background_jobs()
    django_tables = set(connection.introspection.django_table_names(include_views=False))
    django_tables.add(MigrationRecorder.Migration._meta.db_table)
    # The request explorer's sample is a Django model, but telemetry all the same: a live server's
    # ingest (committed, outside any test's transaction) leaves sampled rows the flush never sees.
    django_tables.discard(RequestSample._meta.db_table)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_TABLES_SQL)
        tables = [(name, keyed) for name, keyed in cursor.fetchall() if name not in django_tables]
        emptied = [name for name, keyed in tables if not keyed]
        cursor.execute("SELECT to_regclass('timescaledb_information.continuous_aggregates') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(CONTINUOUS_AGGREGATES_SQL)
            emptied += [row[0] for row in cursor.fetchall()]
        if emptied:
            cursor.execute("TRUNCATE " + ", ".join(quote(name) for name in emptied))
        for name in (name for name, keyed in tables if keyed):
            cursor.execute(NON_KEY_COLUMNS_SQL, [quote(name)])
            columns = [row[0] for row in cursor.fetchall()]
            if columns:
                cursor.execute(f"UPDATE {quote(name)} SET " + ", ".join(f"{quote(c)} = DEFAULT" for c in columns))
    # The cardinality guard's state goes with the rows it admitted (Django models, which a flush empties
    # only after transactional tests).
    AdmittedValue.objects.all().delete()
    CardinalityOverflow.objects.all().delete()
