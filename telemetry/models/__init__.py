from telemetry.models.cardinality import AdmittedValue, CardinalityLimits, CardinalityOverflow
from telemetry.models.history import HistoryImport, ImportedDay, ImportedService
from telemetry.models.idempotency import IngestReceipt
from telemetry.models.raw import Request
from telemetry.models.retention import RetentionPolicy

__all__ = [
    "AdmittedValue",
    "CardinalityLimits",
    "CardinalityOverflow",
    "HistoryImport",
    "ImportedDay",
    "ImportedService",
    "IngestReceipt",
    "Request",
    "RetentionPolicy",
]
