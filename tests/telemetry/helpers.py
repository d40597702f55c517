from django.db import connection


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


TELEMETRY_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)"
)


def clean_telemetry():
    """Empty raw rows, the refresher's logs and every rollup table.

    They live in tables Django does not manage, so the flush between
    transactional tests leaves them behind. On the community edition the
    rollups are continuous aggregates (views), recomputed from the empty raw table.
    """
    from telemetry.rollups.catalog import relations

    names = ["requests", "malti_dirty_minutes", "malti_dirty_buckets"]
    names += [materialisation.relation(level) for level, materialisation in relations()]
    with connection.cursor() as cursor:
        cursor.execute(TELEMETRY_TABLES_SQL, [names])
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables))
