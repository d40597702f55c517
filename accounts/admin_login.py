"""Django admin's login, under the same limits as the dashboard's."""

from django.contrib import admin

from malti_site.api_errors import too_many_requests
from malti_site.ratelimits import TooManyFailures, failure_wait, login_attempt_limited, record_failure


def admin_login(request, **kwargs):
    """Per user name and address, and per address by failures: see malti_site.ratelimits."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    wait = failure_wait(request)
    if wait is not None:
        return too_many_requests(wait, TooManyFailures.default_detail)
    if login_attempt_limited(request, request.POST.get("username", "")):
        return too_many_requests()
    response = admin.site.login(request, **kwargs)
    if response.status_code == 200 and not request.user.is_authenticated:  # the form came back with an error
        wait = record_failure(request)
        if wait is not None:
            return too_many_requests(wait, TooManyFailures.default_detail)
    return response
