from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.template.response import TemplateResponse

from accounts.models import ApiKey, Membership, Service, Tenant, stored_request_counts
from objectives.admin import ServiceObjectivesInline
from telemetry.admin import CardinalityLimitsInline


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "service_count", "member_count", "error_rate_warning", "latency_warning_ms", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_services=Count("services", distinct=True), _members=Count("memberships", distinct=True))
        )

    @admin.display(description="services", ordering="_services")
    def service_count(self, obj):
        return obj._services

    @admin.display(description="members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = ["role", "tenant"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "is_active", "key_count", "created_at"]
    list_filter = ["is_active", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "tenant__name", "description"]
    autocomplete_fields = ["tenant"]
    actions = ["delete_selected"]
    inlines = [ServiceObjectivesInline, CardinalityLimitsInline]

    def get_queryset(self, request):
        # The tenant for __str__ (autocomplete lists services by name and tenant).
        return super().get_queryset(request).select_related("tenant").annotate(_keys=Count("api_keys"))

    @admin.display(description="keys", ordering="_keys")
    def key_count(self, obj):
        return obj._keys

    def get_readonly_fields(self, request, obj=None):
        # Shown once the service exists: the key is drawn when it is saved.
        return ["telemetry_key"] if obj is not None else []

    @staticmethod
    def telemetry_context(services) -> dict:
        """What the delete confirmation says about the telemetry that goes out of sight."""
        keys = [service.telemetry_key for service in services]
        total = sum(stored_request_counts(keys).values())
        return {"telemetry_requests": f"{total:,}", "telemetry_services": len(keys)}

    def delete_view(self, request, object_id, extra_context=None):
        service = self.get_object(request, unquote(object_id))
        if service is not None and request.method != "POST":
            extra_context = {**(extra_context or {}), **self.telemetry_context([service])}
        return super().delete_view(request, object_id, extra_context)

    @admin.action(permissions=["delete"], description="Delete selected services (says how much telemetry goes)")
    def delete_selected(self, request, queryset):
        response = delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):  # the confirmation page, not the deletion itself
            response.context_data.update(self.telemetry_context(queryset))
        return response


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["kind", "service", "user", "name", "expires_at"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ApiKey.Kind.SERVICE and (not data.get("service") or data.get("user")):
            raise forms.ValidationError("A service key needs a service and no user.")
        if kind == ApiKey.Kind.USER and (not data.get("user") or data.get("service")):
            raise forms.ValidationError("A user key needs a user and no service.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "__str__",
        "kind",
        "name",
        "strength",
        "prefix",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_used",
    ]
    list_filter = ["kind", "revoked_at", "service__tenant"]
    list_select_related = ["service__tenant", "user", "created_by"]
    search_fields = ["name", "prefix", "service__name", "user__username"]
    autocomplete_fields = ["service", "user"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at", "revoked_by", "last_used"]
    actions = ["revoke_keys"]

    @admin.display(description="strength")
    def strength(self, obj):
        return "⚠ weak: replace it" if obj.weakness else "ok"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        key = self.get_object(request, object_id)
        if key is not None and key.weakness and request.method == "GET":
            messages.warning(
                request,
                f"This imported key is easy to guess ({key.weakness}). Issue a new key for its owner "
                "and revoke this one.",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "service", "user", "name", "expires_at"]
        return ["kind", "service", "user", "name", "expires_at", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A key's owner never changes; issue a new key instead.
        return ["kind", "service", "user", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = ApiKey.issue(
            service=form.cleaned_data.get("service"),
            user=form.cleaned_data.get("user"),
            name=form.cleaned_data.get("name", ""),
            expires_at=form.cleaned_data.get("expires_at"),
            created_by=request.user,
        )
        obj.pk = key.pk
        obj.__dict__.update({f.attname: getattr(key, f.attname) for f in key._meta.concrete_fields})
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw}")

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke(by=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
