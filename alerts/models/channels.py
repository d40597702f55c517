"""Where notifications go: an email list, a signed webhook, or a Slack/Mattermost incoming webhook."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models

from accounts.models import Tenant
from alerts.sealing import seal, unseal


def email_addresses(target: str) -> list[str]:
    return [address.strip() for address in target.replace(";", ",").split(",") if address.strip()]


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook (signed JSON)"
        SLACK = "slack", "Slack / Mattermost incoming webhook"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.TextField(help_text="Email addresses (comma-separated), or the webhook's URL.")
    # The HMAC key, sealed with a key derived from SECRET_KEY (alerts/sealing.py): never shown again.
    sealed_secret = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant__name", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="alert_channel_unique_tenant_name")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()}, {self.tenant.name})"

    def clean(self):
        if self.kind == self.Kind.EMAIL:
            addresses = email_addresses(self.target)
            if not addresses:
                raise ValidationError({"target": "Give at least one email address."})
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    raise ValidationError({"target": f"{address!r} is not an email address."}) from None
        elif self.kind in (self.Kind.WEBHOOK, self.Kind.SLACK):
            try:
                URLValidator(schemes=["http", "https"])(self.target.strip())
            except ValidationError:
                raise ValidationError({"target": "Give the webhook's http(s) URL."}) from None

    @property
    def has_secret(self) -> bool:
        return bool(self.sealed_secret)

    def set_secret(self, raw: str | None):
        """Keep `raw` sealed; an empty value removes the secret (deliveries are then unsigned)."""
        self.sealed_secret = seal(raw) if raw else ""

    def secret(self) -> str:
        return unseal(self.sealed_secret) if self.sealed_secret else ""

    def send_test(self) -> tuple[bool, str]:
        """Send a test notification now, outside the outbox: (delivered, what the other end answered)."""
        from alerts.channels import send, test_message

        return send(self, test_message(self))
