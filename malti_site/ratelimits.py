"""Rate-limit keys and rates for django-ratelimit, read from settings at call time."""

from django.conf import settings

from malti_site.client_ip import client_ip


def rate_for(setting_name: str):
    """A callable rate so tests and operators can change it through settings."""

    def rate(group, request):
        return getattr(settings, setting_name) or None

    return rate


def ingest_key(group, request):
    auth = getattr(request, "auth", None)
    return f"key:{auth.pk}" if auth is not None else f"ip:{client_ip(request)}"


def user_key(group, request):
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and getattr(user, "pk", None) else f"ip:{client_ip(request)}"


def ip_key(group, request):
    return client_ip(request)


def auth_test_key(group, request):
    """API-key checks count per client address (they probe keys); dashboard sessions per user,
    so an office behind one address is not locked out of its dashboards."""
    if getattr(request, "auth", None) is None and getattr(request, "user", None) is not None:
        return user_key(group, request)
    return ip_key(group, request)
