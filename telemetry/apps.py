from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = "Telemetry"

    def ready(self):
        from telemetry import checks  # noqa: F401  (registers system checks)
        from telemetry.compression import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self)
