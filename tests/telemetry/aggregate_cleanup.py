"""Community edition: empty every continuous aggregate after a test that writes rows straight into them."""

import pytest
from django.db import connection

from telemetry.edition import has_continuous_aggregates

MATERIALISED_TABLES_SQL = (
    "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) "
    "FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()"
)
RETENTION_POLICIES_SQL = (
    "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' "
    "AND hypertable_schema = current_schema()"
)


@pytest.fixture
def clean_aggregates(django_db_blocker):
    """Their rows are not the raw table's: emptying raw and refreshing leaves them (and later tests see them)."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(RETENTION_POLICIES_SQL if has_continuous_aggregates() else "SELECT 1 WHERE false")
        policies = {row[0] for row in cursor.fetchall()}
    yield
    if not has_continuous_aggregates():
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(MATERIALISED_TABLES_SQL)
        for (table,) in cursor.fetchall():
            cursor.execute(f"DELETE FROM {table}")
        # A migration run by a test adds back policies a later migration took away.
        cursor.execute(RETENTION_POLICIES_SQL)
        for (job_id,) in cursor.fetchall():
            if job_id not in policies:
                cursor.execute("SELECT delete_job(%s)", [job_id])
