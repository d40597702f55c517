"""Community edition: TimescaleDB retention policies on raw data and every rollup.

(The Apache edition has no policies; Malti's worker applies retention.)
"""

from django.conf import settings
from django.db import migrations

from telemetry.migrations.sql.rollups import ADD_RETENTION_POLICY_SQL, REMOVE_RETENTION_POLICY_SQL, is_community
from telemetry.rollups.catalog import LEVEL_BY_NAME, MATERIALISATIONS



def _relations(level):
    if level == "raw":
        return ["requests"]
    return [m.relation(LEVEL_BY_NAME[level]) for m in MATERIALISATIONS]


def add_policies(apps, schema_editor):
    if not is_community(schema_editor):
        return
    stored = dict(apps.get_model("telemetry", "RetentionPolicy").objects.values_list("level", "keep_for"))
    for level, default in settings.MALTI_RETENTION_DEFAULTS.items():
        for relation in _relations(level):
            schema_editor.execute(ADD_RETENTION_POLICY_SQL, [relation, stored.get(level, default)])


def remove_policies(apps, schema_editor):
    if not is_community(schema_editor):
        return
    for level in settings.MALTI_RETENTION_DEFAULTS:
        for relation in _relations(level):
            schema_editor.execute(REMOVE_RETENTION_POLICY_SQL, [relation])


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0003_ingest_receipts")]

    operations = [migrations.RunPython(add_policies, remove_policies)]
