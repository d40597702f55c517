from django.contrib import admin

from objectives.models import ServiceObjectives


class ServiceObjectivesInline(admin.StackedInline):
    """On the service's page: a service without a row has the defaults (a row is saved once one is changed)."""

    model = ServiceObjectives
    can_delete = False
    max_num = 1
    extra = 1
    fields = ["apdex_t_ms", "availability_objective", "latency_objective", "latency_threshold_ms", "updated_at"]
    readonly_fields = ["updated_at"]
