"""Each service's Apdex target and service-level objectives (availability, latency) over 30 days."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Service

MAX_MS = 600_000  # ten minutes: far beyond any latency a target or threshold is meant for
# An objective is a share strictly between 0 and 100 %: 100 % leaves no error budget to burn.
OBJECTIVE_VALIDATORS = [MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("99.999"))]
MS_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_MS)]


def default_apdex_t_ms() -> int:
    return settings.MALTI_APDEX_DEFAULT_T_MS


class ServiceObjectivesQuerySet(models.QuerySet):
    def for_keys(self, keys) -> dict[str, "ServiceObjectives"]:
        """Telemetry key -> settings of those services; unsaved defaults for services that never set any."""
        services = Service.objects.filter(telemetry_key__in=list(keys)).select_related("objectives")
        found = {}
        for service in services:
            try:
                found[service.telemetry_key] = service.objectives
            except ServiceObjectives.DoesNotExist:
                found[service.telemetry_key] = ServiceObjectives(service=service)
        return found

    def apdex_thresholds(self, keys) -> dict[str, int]:
        """Telemetry key -> Apdex T (ms), the default for services that never set one."""
        keys = list(keys)
        chosen = dict(self.filter(service__telemetry_key__in=keys).values_list("service__telemetry_key", "apdex_t_ms"))
        return {key: chosen.get(key, settings.MALTI_APDEX_DEFAULT_T_MS) for key in keys}


class ServiceObjectives(models.Model):
    """A service's Apdex target T and its objectives; a service without a row has the defaults."""

    WINDOW_DAYS = 30

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="objectives")
    apdex_t_ms = models.PositiveIntegerField(
        "Apdex T (ms)",
        default=default_apdex_t_ms,
        validators=MS_VALIDATORS,
        help_text="Satisfied up to T, tolerating up to 4T, frustrated beyond.",
    )
    availability_objective = models.DecimalField(
        "availability objective (%)",
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.9"),
        validators=OBJECTIVE_VALIDATORS,
        help_text="Share of requests answered without a server error (status < 500) over 30 days.",
    )
    latency_objective = models.DecimalField(
        "latency objective (%)",
        max_digits=6,
        decimal_places=3,
        default=Decimal("99"),
        validators=OBJECTIVE_VALIDATORS,
        help_text="Share of requests answered within the latency threshold over 30 days.",
    )
    latency_threshold_ms = models.PositiveIntegerField("latency threshold (ms)", default=1000, validators=MS_VALIDATORS)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceObjectivesQuerySet.as_manager()

    class Meta:
        verbose_name = "objectives"
        verbose_name_plural = "objectives"

    def __str__(self):
        return f"objectives of {self.service}"

    @classmethod
    def for_service(cls, service: Service) -> "ServiceObjectives":
        """The service's settings; the defaults (unsaved) until someone changes them."""
        return cls.objects.for_keys([service.telemetry_key]).get(service.telemetry_key) or cls(service=service)

    @property
    def availability_target(self) -> float:
        """The availability objective as a fraction (0.999)."""
        return float(self.availability_objective) / 100

    @property
    def latency_target(self) -> float:
        return float(self.latency_objective) / 100
