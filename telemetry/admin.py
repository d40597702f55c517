from django.contrib import admin
from django.utils.html import format_html, format_html_join

from telemetry.models import CardinalityLimits, CardinalityOverflow, RetentionPolicy
from telemetry.models.cardinality import ADVICE

# The raw `requests` hypertable stays out of admin: it holds millions of rows
# and has no primary key; the dashboard and the metrics API read it.


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "keep_for", "updated_at"]
    readonly_fields = ["updated_at"]


class CardinalityLimitsInline(admin.StackedInline):
    """On the service's page: its limits (defaults until changed) and the limits it hit in the last day."""

    model = CardinalityLimits
    can_delete = False
    max_num = 1
    extra = 1
    fields = ["limits_hit", "endpoint_limit", "consumer_limit", "node_limit", "context_limit", "normalise_paths"]
    readonly_fields = ["limits_hit"]

    @admin.display(description="limits hit in the last day")
    def limits_hit(self, obj):
        service = getattr(obj, "service", None) if obj is not None and obj.service_id else None
        hits = CardinalityOverflow.objects.current().filter(service_key=service.telemetry_key) if service else []
        if not hits:
            return "none"
        return format_html_join(
            "",
            "<p><strong>{}</strong>: over its limit since {} UTC, last at {} UTC; counted as (other), e.g. {}</p>",
            (
                (hit.dimension, f"{hit.since:%Y-%m-%d %H:%M}", f"{hit.last_folded:%H:%M}", ", ".join(hit.examples))
                for hit in hits
            ),
        ) + format_html("<p>{}</p>", ADVICE)
