"""A dashboard session started with a user key lasts only as long as that key."""

from django.contrib.auth import login, logout

from accounts.models import ApiKey

SESSION_KEY_ID = "malti_api_key_id"


def start_key_session(request, key: ApiKey):
    """Log the key's user in, and remember which key vouched for the session."""
    login(request, key.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY_ID] = key.pk


class ApiKeySessionMiddleware:
    """Ends the session once its key is revoked or expires: one primary-key lookup per
    request of such a session; requests without one (ingest, password logins) cost nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key_id = request.session.get(SESSION_KEY_ID)
        if key_id is not None and not ApiKey.objects.usable().filter(pk=key_id, kind=ApiKey.Kind.USER).exists():
            logout(request)
        return self.get_response(request)
