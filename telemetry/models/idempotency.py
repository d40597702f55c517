from datetime import timedelta

from django.db import IntegrityError, models, transaction

from malti_site import clock

# Receipts older than this are pruned: by the worker on the Apache edition, by
# a TimescaleDB job on the community edition (migration 0009 has its copy).
IDEMPOTENCY_WINDOW = timedelta(hours=24)


class IngestReceiptManager(models.Manager):
    def claim(self, service, key: str, body_digest: str):
        """Claim `key` for this body, inside the caller's transaction.

        Returns (receipt, is_new). A concurrent request with the same key
        waits on the unique index until the first commits, then sees its
        receipt. An expired receipt is replaced.
        """
        now = clock.now()
        try:
            with transaction.atomic():
                return self.create(service=service, key=key, body_digest=body_digest, created_at=now), True
        except IntegrityError:
            receipt = self.select_for_update().get(service=service, key=key)
            if receipt.created_at < now - IDEMPOTENCY_WINDOW:
                receipt.body_digest, receipt.created_at, receipt.response = body_digest, now, None
                receipt.save()
                return receipt, True
            return receipt, False

    def prune(self) -> int:
        return self.filter(created_at__lt=clock.now() - IDEMPOTENCY_WINDOW).delete()[0]


class IngestReceipt(models.Model):
    """The answer given to an ingest with an Idempotency-Key, replayed for 24 hours."""

    service = models.ForeignKey("accounts.Service", on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField()

    objects = IngestReceiptManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "key"], name="ingest_receipt_unique_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.service_id}:{self.key}"
