"""Who am I, and the dashboard's login and logout."""

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import CsrfSessionAuthentication
from accounts.models import ApiKey, Tenant
from accounts.permissions import IsMetricsReader
from malti_site.ratelimits import auth_test_key, ip_key, rate_for
from telemetry.models.raw import utcnow

DEFAULT_THRESHOLDS = Tenant().thresholds()


def describe_user(user, auth) -> dict:
    tenants = Tenant.objects.filter(memberships__user=user).order_by("name")
    return {
        "name": user.get_username(),
        "type": "user",
        "auth": "api_key" if isinstance(auth, ApiKey) else "session",
        "permissions": ["read_metrics"] + (["admin"] if user.is_staff else []),
        "tenants": [tenant.name for tenant in tenants],
    }


def thresholds_for(user) -> dict:
    # With several tenants, the strictest levels apply.
    tenants = list(Tenant.objects.filter(memberships__user=user))
    if not tenants:
        return DEFAULT_THRESHOLDS
    return {key: min(t.thresholds()[key] for t in tenants) for key in DEFAULT_THRESHOLDS}


class AuthTestView(APIView):
    """Check a user key or session: who am I, and the dashboard thresholds."""

    permission_classes = [IsMetricsReader]

    @extend_schema(responses={200: dict})
    @method_decorator(
        ratelimit(group="auth-test", key=auth_test_key, rate=rate_for("MALTI_RATELIMIT_AUTH_TEST"), block=True)
    )
    def get(self, request):
        return Response(
            {
                "authenticated": True,
                "user": describe_user(request.user, request.auth),
                "thresholds": thresholds_for(request.user),
                "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
            }
        )


def unauthorized(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_401_UNAUTHORIZED)


def enforce_csrf(request):
    """Login views authenticate nobody yet, but still refuse cross-site posts."""
    CsrfSessionAuthentication().enforce_csrf(request)


def check_login_rate(request, username: str):
    """Limit login attempts per client and per user name."""
    rate = rate_for("MALTI_RATELIMIT_LOGIN")
    for group, key in (("login-ip", ip_key), ("login-user", lambda g, r: username.lower())):
        if is_ratelimited(request, group=group, key=key, rate=rate, increment=True):
            raise Ratelimited()


class LoginView(APIView):
    """Start a dashboard session with a username and password."""

    authentication_classes = []  # CSRF is still checked: Django's middleware runs before DRF
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer("Login", {"username": serializers.CharField(), "password": serializers.CharField()}),
        responses={200: dict},
    )
    def post(self, request):
        enforce_csrf(request)
        username = str(request.data.get("username", ""))[:150]
        password = str(request.data.get("password", ""))
        check_login_rate(request, username)
        if not username or not password:
            return Response({"detail": "Enter a username and a password."}, status=status.HTTP_400_BAD_REQUEST)
        user = authenticate(request, username=username, password=password)
        if user is None:
            return unauthorized("Wrong username or password.")
        login(request, user)
        return Response({"user": describe_user(user, None)})


class ApiKeyLoginView(APIView):
    """Start a dashboard session with a user API key (as the original dashboard did)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=inline_serializer("KeyLogin", {"api_key": serializers.CharField()}), responses={200: dict})
    def post(self, request):
        enforce_csrf(request)
        raw = str(request.data.get("api_key", "")).strip()
        check_login_rate(request, f"key:{raw[:16]}")
        key = ApiKey.objects.for_key(raw)
        if key is None or not key.is_usable():
            return unauthorized("Unknown, revoked or expired API key.")
        if key.kind != ApiKey.Kind.USER:
            return unauthorized("Service keys can only ingest; sign in with a user key.")
        key.touch()
        login(request, key.user, backend="django.contrib.auth.backends.ModelBackend")
        return Response({"user": describe_user(key.user, key)})


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
