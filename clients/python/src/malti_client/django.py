"""Django middleware: one record per request, the endpoint from the URL pattern that matched.

Add `"malti_client.django.MaltiMiddleware"` first in MIDDLEWARE (so it times the whole stack).
Settings come from the MALTI_* variables, or from a `MALTI_CLIENT` dict in Django's settings
(`{"service_name": ..., "api_key": ..., "url": ..., "consumer": "myapp.telemetry.consumer"}`;
callbacks as callables or dotted paths).
"""

import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import SimpleLazyObject, empty
from django.utils.module_loading import import_string

from .client import ANONYMOUS, UNMATCHED, MaltiClient, get_client
from .templates import route_template

logger = logging.getLogger("malti_client")

CONSUMER_HEADERS = ("HTTP_X_CONSUMER_ID", "HTTP_X_CONSUMER")


def client_from_settings() -> MaltiClient:
    from django.conf import settings

    options = dict(getattr(settings, "MALTI_CLIENT", None) or {})
    for name in ("consumer", "context", "exclude"):
        if isinstance(options.get(name), str):
            options[name] = import_string(options[name])
    return get_client(**options)


def endpoint_of(request) -> str:
    """The matched route across include()s (`/api/items/{pk}/`), never the raw path."""
    match = request.resolver_match
    if match is None or not match.route:
        return UNMATCHED if match is None else "/"
    return route_template(match.route)


def default_consumer(request) -> str:
    """`request.malti_consumer`, else X-Consumer-ID or X-Consumer, else the signed-in user, else anonymous."""
    explicit = getattr(request, "malti_consumer", None)
    if explicit:
        return str(explicit)
    meta = request.META
    for header in CONSUMER_HEADERS:
        value = meta.get(header)
        if value:
            return value
    user = request.__dict__.get("user")
    # An unevaluated lazy user means the view never asked; evaluating it here would cost a query.
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return ANONYMOUS
    if getattr(user, "is_authenticated", False):
        return user.get_username()
    return ANONYMOUS


class MaltiMiddleware:
    """Sync and async capable: under ASGI Django calls it without a thread hop."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response, client: MaltiClient | None = None):
        self.get_response = get_response
        self.client = client or client_from_settings()
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except BaseException:
            self._report(request, 500, started)
            raise
        self._report(request, response.status_code, started)
        return response

    async def _acall(self, request):
        started = time.perf_counter()
        try:
            response = await self.get_response(request)
        except BaseException:
            self._report(request, 500, started)
            raise
        self._report(request, response.status_code, started)
        return response

    def _report(self, request, status: int, started: float) -> None:
        client = self.client
        if not client.wants(status):
            return
        try:
            consumer = (client.consumer(request) if client.consumer else None) or default_consumer(request)
            context = client.context(request) if client.context else getattr(request, "malti_context", None)
            client.record(request.method, endpoint_of(request), status, started, str(consumer), context)
        except Exception:  # telemetry must never break a request
            logger.debug("Malti: could not record a request", exc_info=True)
