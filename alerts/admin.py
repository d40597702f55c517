from django import forms
from django.contrib import admin, messages

from alerts.models import AlertEvent, AlertRule, AlertState, Channel, Delivery, Silence


class ChannelForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="HMAC key for signing webhook deliveries. Never shown again; leave empty to keep the current one.",
    )
    remove_secret = forms.BooleanField(required=False, help_text="Remove the secret (deliveries go unsigned).")

    class Meta:
        model = Channel
        fields = ["tenant", "name", "kind", "target"]

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("remove_secret"):
            channel.set_secret(None)
        elif self.cleaned_data.get("secret"):
            channel.set_secret(self.cleaned_data["secret"])
        if commit:
            channel.save()
        return channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "tenant", "kind", "target", "has_secret", "created_at"]
    list_filter = ["kind", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "target", "tenant__name"]
    autocomplete_fields = ["tenant"]
    actions = ["send_test_notification"]

    @admin.display(boolean=True, description="secret")
    def has_secret(self, obj):
        return obj.has_secret

    @admin.action(description="Send a test notification")
    def send_test_notification(self, request, queryset):
        for channel in queryset.select_related("tenant"):
            delivered, detail = channel.send_test()
            level = messages.SUCCESS if delivered else messages.ERROR
            self.message_user(request, f"{channel.name}: {'delivered' if delivered else 'failed'} ({detail})", level)


class AlertStateInline(admin.TabularInline):
    model = AlertState
    extra = 0
    can_delete = False
    fields = ["service", "node", "state", "since", "last_value", "evaluated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "tenant",
            "name",
            "metric",
            "service",
            "endpoint",
            "method",
            "consumer",
            "node",
            "window_minutes",
            "threshold",
            "for_minutes",
            "min_requests",
            "severity",
            "channels",
            "enabled",
            "muted_until",
            "mute_reason",
        ]

    def clean(self):
        data = super().clean()
        tenant = data.get("tenant")
        foreign = [channel.name for channel in data.get("channels") or () if tenant and channel.tenant_id != tenant.id]
        if foreign:
            raise forms.ValidationError(f"Channels of another tenant: {', '.join(foreign)}.")
        return data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = [
        "name",
        "tenant",
        "metric",
        "service",
        "threshold",
        "window_minutes",
        "severity",
        "enabled",
        "muted_until",
    ]
    list_filter = ["metric", "severity", "enabled", "tenant"]
    list_select_related = ["tenant", "service", "service__tenant"]
    search_fields = ["name", "tenant__name", "service__name"]
    autocomplete_fields = ["tenant", "service"]
    filter_horizontal = ["channels"]
    readonly_fields = ["evaluated_at", "created_at"]
    inlines = [AlertStateInline]


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ["service", "until", "reason", "created_by", "created_at"]
    list_filter = ["service__tenant"]
    list_select_related = ["service", "service__tenant", "created_by"]
    search_fields = ["service__name", "reason"]
    autocomplete_fields = ["service"]


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ["at", "rule", "service", "node", "from_state", "to_state", "value", "suppressed"]
    list_filter = ["to_state", "rule__tenant"]
    list_select_related = ["rule", "rule__tenant", "service", "service__tenant"]
    search_fields = ["rule__name", "service__name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "channel", "status", "attempts", "next_try", "delivered_at", "answer"]
    list_filter = ["status", "channel__kind", "channel__tenant"]
    list_select_related = ["event", "event__rule", "event__rule__tenant", "channel", "channel__tenant"]
    search_fields = ["channel__name", "event__rule__name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
