from alerts.models.channels import Channel
from alerts.models.deliveries import Delivery
from alerts.models.rules import EVERY_NODE, AlertRule, AlertStateValue, Metric, Severity, Silence
from alerts.models.states import AlertEvent, AlertState

__all__ = [
    "EVERY_NODE",
    "AlertEvent",
    "AlertRule",
    "AlertState",
    "AlertStateValue",
    "Channel",
    "Delivery",
    "Metric",
    "Severity",
    "Silence",
]
