"""The outbox: one row per event and channel, retried with exponential backoff until delivered."""

from datetime import timedelta

from django.db import connection, models

from alerts.models.channels import Channel
from alerts.models.states import AlertEvent
from malti_site import clock

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 ... min, then hourly: about 8 hours of trying
# A claimed delivery is not claimed again for this long: a worker that died mid-send is retried after it.
LEASE = timedelta(minutes=2)

# Claim due deliveries for this worker: others skip the locked rows, and the lease
# keeps them away after the claim commits, while this worker sends.
CLAIM_SQL = """
UPDATE alerts_delivery SET next_try = %s, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM alerts_delivery WHERE status = 'pending' AND next_try <= %s
    ORDER BY next_try LIMIT %s FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: 30 s, doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)


class DeliveryQuerySet(models.QuerySet):
    def claim_due(self, limit: int = 50) -> list["Delivery"]:
        now = clock.now()
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, [now + LEASE, now, limit])
            ids = [row[0] for row in cursor.fetchall()]
        claimed = self.filter(id__in=ids).select_related("channel", "event__rule__tenant", "event__service")
        return list(claimed.order_by("created_at", "id"))  # in the order the transitions happened


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    answer = models.TextField(blank=True, help_text="What the other end said last (status and start of the body).")
    next_try = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="alert_delivery_unique_event_channel")]
        indexes = [models.Index(fields=["next_try"], name="alert_delivery_due", condition=models.Q(status="pending"))]

    def __str__(self):
        return f"{self.event} to {self.channel.name}: {self.status}"

    def record(self, delivered: bool, answer: str):
        """The outcome of the attempt just made (attempts was counted when it was claimed)."""
        now = clock.now()
        self.answer = answer[:1000]
        if delivered:
            self.status, self.delivered_at, self.next_try = self.Status.DELIVERED, now, None
        elif self.attempts >= MAX_ATTEMPTS:
            self.status, self.next_try = self.Status.FAILED, None
        else:
            self.next_try = now + backoff(self.attempts)
        self.save(update_fields=["status", "answer", "next_try", "delivered_at"])
