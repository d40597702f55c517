from telemetry.models.idempotency import IngestReceipt
from telemetry.models.raw import Request
from telemetry.models.retention import RetentionPolicy

__all__ = ["IngestReceipt", "Request", "RetentionPolicy"]
