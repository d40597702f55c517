"""The cardinality guard: limits per service, the values admitted, the limits hit, and raw rows' sent values.

Where the guard stores another value than the one sent ({id} for an ID-like
path segment, "(other)" past a limit), the raw row keeps what was sent in
<dimension>_original: NULL otherwise, which costs a bit of the row's null map.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apikey_weakness"),
        ("telemetry", "0012_history_import"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE requests ADD COLUMN endpoint_original TEXT, ADD COLUMN consumer_original TEXT, "
            "ADD COLUMN node_original TEXT, ADD COLUMN context_original TEXT",
            reverse_sql="ALTER TABLE requests DROP COLUMN endpoint_original, DROP COLUMN consumer_original, "
            "DROP COLUMN node_original, DROP COLUMN context_original",
        ),
        migrations.CreateModel(
            name="AdmittedValue",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("service_key", models.CharField(max_length=500)),
                ("dimension", models.CharField(max_length=16)),
                ("value", models.TextField()),
                ("last_seen", models.DateTimeField()),
            ],
            options={
                "db_table": "malti_admitted_values",
                "constraints": [
                    models.UniqueConstraint(fields=("service_key", "dimension", "value"), name="admitted_value_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="CardinalityLimits",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "endpoint_limit",
                    models.PositiveIntegerField(
                        default=1000,
                        help_text="Distinct endpoints over a sliding day before new ones are counted under (other).",
                    ),
                ),
                (
                    "consumer_limit",
                    models.PositiveIntegerField(
                        default=10000,
                        help_text="Distinct consumers over a sliding day before new ones are counted under (other).",
                    ),
                ),
                (
                    "node_limit",
                    models.PositiveIntegerField(
                        default=1000,
                        help_text="Distinct nodes over a sliding day before new ones are counted under (other).",
                    ),
                ),
                (
                    "context_limit",
                    models.PositiveIntegerField(
                        default=1000,
                        help_text="Distinct contexts over a sliding day before new ones are counted under (other).",
                    ),
                ),
                (
                    "normalise_paths",
                    models.BooleanField(
                        default=True,
                        help_text="Replace path segments that are numbers, UUIDs or long hex/base64 tokens with {id} at ingest. On by default: such segments are nearly always identifiers sent instead of a route template, and one endpoint per identifier is the classic way to fill the endpoint limit. Raw rows keep the path as sent.",
                    ),
                ),
                (
                    "service",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="cardinality", to="accounts.service"
                    ),
                ),
            ],
            options={
                "verbose_name": "cardinality limits",
                "verbose_name_plural": "cardinality limits",
            },
        ),
        migrations.CreateModel(
            name="CardinalityOverflow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("service_key", models.CharField(max_length=500)),
                ("dimension", models.CharField(max_length=16)),
                ("since", models.DateTimeField()),
                ("last_folded", models.DateTimeField()),
                ("examples", models.JSONField(default=list)),
            ],
            options={
                "db_table": "malti_cardinality_overflows",
                "constraints": [models.UniqueConstraint(fields=("service_key", "dimension"), name="overflow_unique")],
            },
        ),
    ]
