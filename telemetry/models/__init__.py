from telemetry.models.raw import Request
from telemetry.models.retention import RetentionPolicy

__all__ = ["Request", "RetentionPolicy"]
