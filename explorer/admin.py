from django.contrib import admin

from explorer.models import SamplingPolicy

# The sample itself stays out of admin, like the raw table: millions of rows; the explorer reads it.


@admin.register(SamplingPolicy)
class SamplingPolicyAdmin(admin.ModelAdmin):
    list_display = ["service", "slow_threshold_ms", "share", "updated_at"]
    list_select_related = ["service", "service__tenant"]
    search_fields = ["service__name", "service__tenant__name"]
    autocomplete_fields = ["service"]
    readonly_fields = ["updated_at"]
