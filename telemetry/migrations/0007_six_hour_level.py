"""The 6hour level, for databases made before it: its relations, its rows, its retention.

On the Apache edition the refresher would move the new level's watermark to
now at once, so the level is filled here from the 1-hour level (every complete
6-hour bucket before the 1-hour watermark) and its watermark set to match. On
the community edition its continuous aggregates (on the 1-hour ones) fill
themselves; they get the retention policy the level's setting asks for.
"""

from django.conf import settings
from django.db import migrations, models

from telemetry.migrations.sql import rollups
from telemetry.rollups.catalog import LEVEL_BY_NAME, MATERIALISATIONS, select_sql

LEVEL = LEVEL_BY_NAME["6hour"]
HOUR_WATERMARK_SQL = "SELECT time_bucket(%s::interval, watermark) FROM malti_refresh_state WHERE level = '1hour'"
FILL_SQL = "INSERT INTO {relation} {select}"
SET_WATERMARK_SQL = "UPDATE malti_refresh_state SET watermark = %s WHERE level = %s"


def add_level(apps, schema_editor):
    community = rollups.is_community(schema_editor)
    # The catalog's statements are IF NOT EXISTS: only the new level's relations are made.
    for statement in rollups.community_statements() if community else rollups.apache_statements():
        schema_editor.execute(statement)
    relations = [materialisation.relation(LEVEL) for materialisation in MATERIALISATIONS]
    if community:
        stored = apps.get_model("telemetry", "RetentionPolicy").objects.filter(level=LEVEL.name).first()
        keep_for = stored.keep_for if stored else settings.MALTI_RETENTION_DEFAULTS[LEVEL.name]
        for relation in relations:
            schema_editor.execute(rollups.ADD_RETENTION_POLICY_SQL, [relation, keep_for])
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(HOUR_WATERMARK_SQL, [LEVEL.interval])
        (complete_before,) = cursor.fetchone()
        for materialisation in MATERIALISATIONS:
            select = select_sql(LEVEL, materialisation, where="WHERE bucket < %s")
            cursor.execute(FILL_SQL.format(relation=materialisation.relation(LEVEL), select=select), [complete_before])
        cursor.execute(SET_WATERMARK_SQL, [complete_before, LEVEL.name])


def remove_level(apps, schema_editor):
    for statement in rollups.drop_statements(rollups.is_community(schema_editor), only_level=LEVEL):
        schema_editor.execute(statement)
    schema_editor.execute("DELETE FROM malti_refresh_state WHERE level = %s", [LEVEL.name])


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0006_raw_time_brin")]

    operations = [
        migrations.AlterField(
            model_name="retentionpolicy",
            name="level",
            field=models.CharField(
                choices=[
                    ("raw", "raw"),
                    ("1min", "1min"),
                    ("5min", "5min"),
                    ("1hour", "1hour"),
                    ("6hour", "6hour"),
                    ("1day", "1day"),
                    ("1week", "1week"),
                ],
                max_length=10,
                unique=True,
            ),
        ),
        migrations.RunPython(add_level, remove_level),
    ]
