"""What each rule is doing now (per service or node it watches), and every change of it."""

from datetime import datetime

from django.db import models

from accounts.models import Service
from alerts.models.rules import AlertRule, AlertStateValue


class AlertState(models.Model):
    """The current state of one rule for one subject: its service, or a node of it.

    A rule on one service has one row; a rule on all services one per service;
    a per-node silence rule one per node. The rows are what two workers lock
    (SELECT ... FOR UPDATE) so that each transition is written once.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    node = models.CharField(max_length=500, null=True, blank=True)
    state = models.CharField(max_length=10, choices=AlertStateValue.choices, default=AlertStateValue.OK)
    since = models.DateTimeField()
    last_value = models.FloatField(null=True, blank=True)
    evaluated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "service", "node"], name="alert_state_unique_subject", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.rule.name} on {self.subject_name}: {self.state}"

    @property
    def subject_name(self) -> str:
        return self.service.name + (f" / {self.node}" if self.node else "")


class AlertEventQuerySet(models.QuerySet):
    def prune(self, before: datetime) -> int:
        """Delete the transitions before `before` with their deliveries; how many transitions went.

        A transition whose notification is still being tried stays until it is delivered or given up.
        """
        old = self.filter(at__lt=before).exclude(deliveries__status="pending")
        _, by_model = old.delete()
        return by_model.get(self.model._meta.label, 0)


class AlertEvent(models.Model):
    """One transition of a state: ok -> pending -> firing -> resolved (back to ok), or pending -> ok."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    node = models.CharField(max_length=500, null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    from_state = models.CharField(max_length=10, choices=AlertStateValue.choices)
    to_state = models.CharField(max_length=10, choices=AlertStateValue.choices)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField()
    # Why no notification went out, if none did: a mute, a silence, no channels.
    suppressed = models.CharField(max_length=200, blank=True)

    objects = AlertEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule", "-at"], name="alert_event_rule_at")]

    def __str__(self):
        return f"{self.rule.name}: {self.from_state} -> {self.to_state} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def notifies(self) -> bool:
        """Firing and resolving are announced; pending and its return to ok are not."""
        return self.to_state in (AlertStateValue.FIRING, AlertStateValue.RESOLVED)
