from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from dashboard_ui.vite import BundleMissing, load_bundle


@require_safe
@never_cache
@ensure_csrf_cookie
def index(request):
    """The single-page app's HTML shell, for `/` and every client-side route."""
    try:
        bundle = load_bundle()
    except BundleMissing as exc:
        return render(request, "dashboard_ui/bundle_missing.html", {"reason": str(exc)}, status=503)
    # Read by the SPA with JSON.parse from a non-executing <script type="application/json">,
    # so the page needs no inline script under the Content-Security-Policy.
    config = {
        "apiBase": "/api/v1",
        "csrfCookieName": settings.CSRF_COOKIE_NAME,
        # Fallback for CSRF_COOKIE_HTTPONLY deployments, where JS cannot read the cookie.
        "csrfToken": get_token(request),
        # Lets the SPA show the login form at once instead of asking /auth/test for a 401.
        "authenticated": request.user.is_authenticated,
    }
    return render(request, "dashboard_ui/index.html", {"bundle": bundle.urls(), "config": config})
