from django.contrib import admin
from django.utils.html import format_html_join

from explorer.models import RequestSample, SamplingPolicy
from malti_site import clock
from telemetry.models.retention import SAMPLE, RetentionPolicy

# The sample itself stays out of admin, like the raw table: millions of rows; the explorer reads it.


@admin.register(SamplingPolicy)
class SamplingPolicyAdmin(admin.ModelAdmin):
    list_display = ["service", "slow_threshold_ms", "share", "updated_at"]
    list_select_related = ["service", "service__tenant"]
    search_fields = ["service__name", "service__tenant__name"]
    autocomplete_fields = ["service"]
    readonly_fields = ["updated_at", "kept_per_day"]

    @admin.display(description="Kept per day")
    def kept_per_day(self, policy):
        """What the sample holds of the service, a line per day, to judge a threshold or share by."""
        if policy.pk is None:
            return "—"
        since = clock.now() - RetentionPolicy.objects.duration(SAMPLE)
        days = RequestSample.kept_per_day(policy.service.telemetry_key, since)
        if not days:
            return "Nothing kept yet."
        lines = ((f"{day:%Y-%m-%d}", f"{kept:,} record{'' if kept == 1 else 's'}") for day, kept in days)
        return format_html_join("", "<div>{}: {}</div>", lines)
