"""Community edition: refresh continuous aggregates by hand (policies do it on schedule)."""

from django.db import connection

from telemetry.rollups.catalog import relations

# CALL cannot run inside a transaction block; Django's autocommit cursor is fine.
REFRESH_SQL = "CALL refresh_continuous_aggregate(%s, %s::timestamptz, %s::timestamptz)"


def refresh_continuous_aggregates(window=None) -> int:
    start, end = window if window else (None, None)
    count = 0
    with connection.cursor() as cursor:
        # Finest level first: coarser aggregates read the level below.
        for level, materialisation in relations():
            cursor.execute(REFRESH_SQL, [materialisation.relation(level), start, end])
            count += 1
    return count
