"""Open buckets: each level's not-yet-complete bucket, kept by the Apache-edition refresher.

Until the first refresh after this migration writes them, `open_until` is
NULL and queries read the open part of a range from finer levels, as before.
The community edition's real-time aggregates need no such tables.
"""

from django.db import migrations

from telemetry.migrations.sql import rollups


def add_open_buckets(apps, schema_editor):
    schema_editor.execute(rollups.ADD_OPEN_UNTIL)
    if not rollups.is_community(schema_editor):
        for statement in rollups.open_bucket_statements():
            schema_editor.execute(statement)


def remove_open_buckets(apps, schema_editor):
    for statement in rollups.drop_open_bucket_statements():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0007_six_hour_level")]

    operations = [migrations.RunPython(add_open_buckets, remove_open_buckets)]
