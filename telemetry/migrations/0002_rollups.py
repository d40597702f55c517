"""Rollups: continuous aggregates on the community edition, refresher-kept
hypertables on the Apache edition (edition detected here, at migrate time)."""

from django.db import migrations

from telemetry.migrations.sql import rollups


def _is_community(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('timescaledb.license', true)")
        return cursor.fetchone()[0] == "timescale"


def create_rollups(apps, schema_editor):
    statements = rollups.community_statements() if _is_community(schema_editor) else rollups.apache_statements()
    for statement in statements:
        schema_editor.execute(statement)


def drop_rollups(apps, schema_editor):
    for statement in rollups.drop_statements(_is_community(schema_editor)):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]

    operations = [
        migrations.RunSQL(rollups.CREATE_REFRESH_STATE, rollups.DROP_REFRESH_STATE),
        migrations.RunPython(create_rollups, drop_rollups),
    ]
