from rest_framework.permissions import BasePermission

from accounts.authentication import ServicePrincipal


class IsServiceKey(BasePermission):
    message = "This endpoint needs a service API key; user keys can only read metrics."

    def has_permission(self, request, view):
        return isinstance(request.user, ServicePrincipal)


class IsMetricsReader(BasePermission):
    """A user, by user key or session; service keys may only ingest."""

    message = "This endpoint needs a user API key or a dashboard login; service keys can only ingest."

    def has_permission(self, request, view):
        user = request.user
        return user is not None and user.is_authenticated and not isinstance(user, ServicePrincipal)
