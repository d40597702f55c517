"""The outbox's sender: due deliveries, claimed so no other worker sends them, sent, recorded.

At least once: a delivery is marked delivered only after the other end
accepted it; a worker that dies mid-send leaves it claimed for a lease
(2 minutes), after which any worker retries it. Receivers can drop a repeat
by its X-Malti-Delivery id.
"""

from dataclasses import dataclass

from alerts.channels import event_message, send
from alerts.models import Delivery


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0

    def __str__(self):
        return f"delivered {self.delivered} notification(s), {self.failed} failed (retried with backoff)"


def deliver_due(limit: int = 50) -> DeliveryReport:
    report = DeliveryReport()
    for delivery in Delivery.objects.claim_due(limit):
        delivered, answer = send(delivery.channel, event_message(delivery.event, delivery.id))
        delivery.record(delivered, answer)
        if delivered:
            report.delivered += 1
        else:
            report.failed += 1
    return report
