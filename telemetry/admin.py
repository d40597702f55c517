from django.contrib import admin

from telemetry.models import RetentionPolicy

# The raw `requests` hypertable stays out of admin: it holds millions of rows
# and has no primary key; the dashboard and the metrics API read it.


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "keep_for", "updated_at"]
    readonly_fields = ["updated_at"]
