"""Who am I, and the dashboard's login and logout."""

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    AuthTestSerializer,
    KeyLoginSerializer,
    LoginResponseSerializer,
    LoginSerializer,
)
from accounts.authentication import CsrfSessionAuthentication, fail, refuse_if_failing_too_often
from accounts.middleware import start_key_session
from accounts.models import ApiKey, Membership, Tenant
from accounts.permissions import IsMetricsReader
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, error_responses
from malti_site.ratelimits import auth_test_key, describe_rate, login_attempt_limited, rate_for

TOO_MANY = "Too many requests, or too many failed authentications from this address; see Retry-After."
UNAVAILABLE = "The database is unavailable; retry after Retry-After seconds."
AUTH_TEST_ERRORS = {
    401: "No credentials, or an unknown, revoked or expired API key.",
    403: "A service key: it can only ingest.",
    429: TOO_MANY,
    503: UNAVAILABLE,
}
LOGIN_ERRORS = {
    400: "The body is not JSON or a form, or a field is missing.",
    401: "Wrong credentials.",
    403: "The CSRF cookie and X-CSRFToken header are missing or do not match.",
    415: "The body is neither JSON nor a form.",
    429: TOO_MANY,
    503: UNAVAILABLE,
}
LOGOUT_ERRORS = {
    401: "An unknown, revoked or expired X-API-Key was sent.",
    403: "A session without the matching X-CSRFToken header.",
    429: TOO_MANY,
    503: UNAVAILABLE,
}


def describe_user(user, auth) -> dict:
    return {
        "name": user.get_username(),
        "type": "user",
        "permissions": ["metrics"] + (["admin"] if user.is_staff else []),
        "auth": "api_key" if isinstance(auth, ApiKey) else "session",
        "tenants": list(Tenant.objects.filter(memberships__user=user).order_by("name").values_list("name", flat=True)),
        "roles": dict(Membership.objects.filter(user=user).values_list("tenant__name", "role")),
    }


class KnownMethodView(APIView):
    """An undeclared method (QUERY, PROPFIND) is a 405 before authentication or CSRF could answer 401 or 403."""

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class AuthTestView(KnownMethodView):
    """Check a user key or session: who am I, and the dashboard thresholds."""

    permission_classes = [IsMetricsReader]

    @extend_schema(responses={200: AuthTestSerializer, **error_responses(AUTH_TEST_ERRORS)}, parameters=[RETRY_AFTER])
    @method_decorator(
        ratelimit(group="auth-test", key=auth_test_key, rate=rate_for("MALTI_RATELIMIT_AUTH_TEST"), block=True)
    )
    def get(self, request):
        body = {
            "authenticated": True,
            "user": describe_user(request.user, request.auth),
            "thresholds": Tenant.objects.thresholds_for(request.user),
            "timestamp": clock.now(),
            "rate_limit_info": {
                "endpoint": "auth_test",
                "limit": describe_rate("MALTI_RATELIMIT_AUTH_TEST"),
                "description": "Per client address for API keys, per user for dashboard sessions.",
            },
        }
        return Response(AuthTestSerializer(body).data)


def bad_request(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)


class LoginBase(KnownMethodView):
    """Logins authenticate nobody yet, but still refuse cross-site posts and count failures."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        # A wrong password is a 401 (DRF would make it 403 without a scheme to name).
        return CsrfSessionAuthentication().authenticate_header(request)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        CsrfSessionAuthentication().enforce_csrf(request)


class LoginView(LoginBase):
    """Start a dashboard session with a username and password."""

    @extend_schema(
        request=LoginSerializer,
        responses={200: LoginResponseSerializer, **error_responses(LOGIN_ERRORS)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        form = LoginSerializer(data=request.data)
        if not form.is_valid():
            return bad_request("Enter a username and a password.")
        username, password = form.validated_data["username"], form.validated_data["password"]
        refuse_if_failing_too_often(request)
        if login_attempt_limited(request, username):
            raise Ratelimited()
        user = authenticate(request, username=username, password=password)
        if user is None:
            fail(request, "Wrong username or password.")
        login(request, user)
        return Response(LoginResponseSerializer({"user": describe_user(user, None)}).data)


class ApiKeyLoginView(LoginBase):
    """Start a dashboard session with a user API key (as the original dashboard did); it ends
    when the key is revoked or expires."""

    @extend_schema(
        request=KeyLoginSerializer,
        responses={200: LoginResponseSerializer, **error_responses(LOGIN_ERRORS)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        form = KeyLoginSerializer(data=request.data)
        if not form.is_valid():
            return bad_request("Enter an API key.")
        refuse_if_failing_too_often(request)
        key = ApiKey.objects.for_key(form.validated_data["api_key"])
        if key is None:
            fail(request, "Unknown API key.")
        if not key.is_usable():
            return Response({"detail": "This API key is revoked or expired."}, status=status.HTTP_401_UNAUTHORIZED)
        if key.kind != ApiKey.Kind.USER:
            return Response(
                {"detail": "Service keys can only ingest; sign in with a user key."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        key.touch()
        start_key_session(request, key)
        return Response(LoginResponseSerializer({"user": describe_user(key.user, key)}).data)


class LogoutView(KnownMethodView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None, **error_responses(LOGOUT_ERRORS)}, parameters=[RETRY_AFTER])
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
