from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connection
from django.db.utils import OperationalError

from telemetry.edition import LICENSE_SQL


@register(Tags.database)
def timescaledb_is_available(app_configs, databases=None, **kwargs):
    """malti.E000/E001: Malti needs the database, with TimescaleDB loaded or loadable."""
    if not databases or "default" not in databases:
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(LICENSE_SQL)
            license = cursor.fetchone()[0]
    except OperationalError as exc:
        return [Error(f"Cannot connect to the database: {exc}", id="malti.E000")]
    if not license and not _preloaded_and_available():
        return [
            Error(
                "TimescaleDB is not loaded in this PostgreSQL server.",
                hint="Add shared_preload_libraries = 'timescaledb' to postgresql.conf and restart it, "
                "or run scripts/provision-db.sh for a local cluster.",
                id="malti.E001",
            )
        ]
    return []


PRELOAD_SQL = (
    "SELECT current_setting('shared_preload_libraries') LIKE '%%timescaledb%%' "
    "AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
)


def _preloaded_and_available() -> bool:
    """A fresh database: the extension is loadable and migrate will create it."""
    with connection.cursor() as cursor:
        cursor.execute(PRELOAD_SQL)
        return bool(cursor.fetchone()[0])


@register(Tags.caches, deploy=False)
def cache_is_shared(app_configs, **kwargs):
    """malti.W001: rate limits are per process without Redis."""
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "MALTI_REDIS_URL is not set: rate limits are counted per process.",
            hint="Fine for a single-process local run; set MALTI_REDIS_URL wherever more than one process serves.",
            id="malti.W001",
        )
    ]
