"""Rollups: continuous aggregates on the community edition, refresher-kept
hypertables on the Apache edition (edition detected here, at migrate time)."""

from django.db import migrations

from telemetry.migrations.sql import rollups


def create_rollups(apps, schema_editor):
    statements = rollups.community_statements() if rollups.is_community(schema_editor) else rollups.apache_statements()
    for statement in statements:
        schema_editor.execute(statement)


def drop_rollups(apps, schema_editor):
    for statement in rollups.drop_statements(rollups.is_community(schema_editor)):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]

    operations = [
        migrations.RunSQL(rollups.CREATE_REFRESH_STATE, rollups.DROP_REFRESH_STATE),
        migrations.RunPython(create_rollups, drop_rollups),
    ]
