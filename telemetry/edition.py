"""Which TimescaleDB edition the database runs: it decides how rollups are kept."""

from functools import cache

from django.db import connection

COMMUNITY = "timescale"
APACHE = "apache"

LICENSE_SQL = "SELECT current_setting('timescaledb.license', true)"


def current_license(cursor=None) -> str | None:
    """'timescale' (community), 'apache', or None when TimescaleDB is not loaded."""
    if cursor is None:
        with connection.cursor() as cursor:
            return current_license(cursor)
    cursor.execute(LICENSE_SQL)
    return cursor.fetchone()[0] or None


@cache
def edition() -> str:
    """The edition, looked up once per process (it cannot change while running)."""
    return current_license() or APACHE


def has_continuous_aggregates() -> bool:
    return edition() == COMMUNITY
