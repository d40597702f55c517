"""Malti's Django admin site: only for sessions a password started."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class MaltiAdminSite(admin.AdminSite):
    def has_permission(self, request):
        # Imported here: this module loads with the app registry, before any model.
        from accounts.middleware import SESSION_KEY_ID

        # A user key reads metrics; a dashboard session it started must not turn
        # into an admin one (keys live in scripts and CI, passwords do not).
        return super().has_permission(request) and SESSION_KEY_ID not in request.session


class MaltiAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.MaltiAdminSite"
