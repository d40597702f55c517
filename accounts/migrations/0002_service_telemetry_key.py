"""Telemetry is stored under an immutable key per service; names become unique per tenant.

Existing services take their current name as key: that is what their
history is stored under, so nothing in the telemetry tables is rewritten
(continuous aggregates could not be). Services created afterwards get a
random key (accounts.models.new_telemetry_key).
"""

from django.db import migrations, models

import accounts.models


def keep_names_as_keys(apps, schema_editor):
    """Each existing service's key is the name its history is already stored under."""
    Service = apps.get_model("accounts", "Service")
    Service.objects.filter(telemetry_key__isnull=True).update(telemetry_key=models.F("name"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        # Nullable first: a callable default would give every existing row the same value.
        migrations.AddField(
            model_name="service",
            name="telemetry_key",
            field=models.CharField(editable=False, max_length=500, null=True),
        ),
        migrations.RunPython(keep_names_as_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="service",
            name="telemetry_key",
            field=models.CharField(
                default=accounts.models.new_telemetry_key, editable=False, max_length=500, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="service",
            name="name",
            field=models.CharField(help_text="What records carry; unique within the tenant.", max_length=500),
        ),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.UniqueConstraint(fields=("tenant", "name"), name="service_unique_tenant_name"),
        ),
    ]
