"""Rate-limit keys and rates for django-ratelimit, read from settings at call time."""

from django.conf import settings
from django_ratelimit.core import get_usage, is_ratelimited
from rest_framework.exceptions import Throttled

from malti_site.client_ip import client_ip

RATE_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def rate_for(setting_name: str):
    """A callable rate so tests and operators can change it through settings."""

    def rate(group, request):
        return getattr(settings, setting_name) or None

    return rate


def describe_rate(setting_name: str) -> str:
    """A setting's rate in words, as the original Malti wrote it: "10/minute"."""
    rate = getattr(settings, setting_name)
    if not rate or not settings.RATELIMIT_ENABLE:
        return "unlimited"
    count, _, period = rate.partition("/")
    multiple, unit = period[:-1], RATE_UNITS.get(period[-1:], "second")
    return f"{count}/{multiple} {unit}s" if multiple else f"{count}/{unit}"


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


# --- Failed authentication, per client address ------------------------------------------
# Limits on views run only once authentication has succeeded, so guesses would be free.
# Unknown API keys and wrong passwords count here; once an address is over the limit,
# every key or password it sends is refused *unchecked*, so a guess gets no answer at
# all (refusing only the wrong ones would still tell a guesser when it is right).


class TooManyFailures(Throttled):
    """429: this client address failed to authenticate too often; nothing it sends is checked."""

    default_detail = "Rate limit exceeded: too many failed authentication attempts from this address."


def _failures(request, *, increment: bool):
    return get_usage(
        request,
        group="auth-failures",
        key=ip_key,
        rate=rate_for("MALTI_RATELIMIT_AUTH_FAILURES"),
        increment=increment,
    )


def _wait(usage) -> int:
    return max(int(usage["time_left"]), 1)


def failure_wait(request) -> int | None:
    """Seconds until this address may try a credential again, or None if it may now."""
    usage = _failures(request, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return _wait(usage)


def record_failure(request) -> int | None:
    """Count one failed authentication; seconds to wait if it went over the limit.

    The counter is incremented atomically, so under any concurrency exactly
    `limit` failures per window are answered 401 and the rest 429.
    """
    usage = _failures(request, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return _wait(usage)


# --- Logins ------------------------------------------------------------------------------
# A user name is limited only together with the client's address: a limit on the name
# alone would let anyone, from anywhere, lock its owner out by failing on purpose. The
# address itself is limited by its failed authentications (above), which counts only
# failures, so an office behind one address where everyone signs in at nine is not
# limited by its own successes.


def login_attempt_limited(request, username: str) -> bool:
    """Count one login attempt for this user name from this address; True if over the limit."""
    address = client_ip(request)
    return is_ratelimited(
        request,
        group="login-user-address",
        key=lambda group, request: f"{username.casefold()}@{address}",
        rate=rate_for("MALTI_RATELIMIT_LOGIN"),
        increment=True,
    )
