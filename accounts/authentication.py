"""DRF authentication: X-API-Key (service or user keys) and the session."""

from dataclasses import dataclass

from rest_framework import authentication, exceptions

from accounts.models import ApiKey, Service
from malti_site.ratelimits import TooManyFailures, failure_wait, record_failure

API_KEY_HEADER = "HTTP_X_API_KEY"


@dataclass(frozen=True)
class ServicePrincipal:
    """request.user for a service key: it may ingest for its service, nothing else."""

    service: Service
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def username(self):
        return f"service:{self.service.name}"

    def __str__(self):
        return self.username


def refuse_if_failing_too_often(request):
    """429 before any credential is checked, once this address has failed too often."""
    wait = failure_wait(request)
    if wait is not None:
        raise TooManyFailures(wait=wait)


def fail(request, detail: str):
    """401 for a failed credential, counted against the client's address (429 once over)."""
    wait = record_failure(request)
    if wait is not None:
        raise TooManyFailures(wait=wait)
    raise exceptions.AuthenticationFailed(detail)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def raw_key(self, request) -> str | None:
        """The key as sent, or None when the request carries none."""
        return request.META.get(API_KEY_HEADER)

    def authenticate(self, request):
        raw_key = self.raw_key(request)
        if raw_key is None:
            return None
        refuse_if_failing_too_often(request)
        key = ApiKey.objects.for_key(raw_key.strip())
        if key is None:
            # Only unknown keys count as guesses: a node still sending a revoked or
            # expired key must not lock out the other services behind its address.
            fail(request, "Unknown API key.")
        if key.is_revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if key.is_expired():
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if not key.is_usable():
            raise exceptions.AuthenticationFailed("This API key's owner is inactive.")
        key.touch()
        principal = ServicePrincipal(key.service) if key.kind == ApiKey.Kind.SERVICE else key.user
        return principal, key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no or a bad key is sent.
        return "X-API-Key"


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The dashboard's session; DRF enforces CSRF on unsafe methods."""

    def authenticate_header(self, request):
        return 'Session realm="malti"'
