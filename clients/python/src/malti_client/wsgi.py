"""WSGI middleware for any WSGI app; Flask apps use `malti_client.flask.instrument(app)`, which sets it up.

The endpoint comes from `route(environ)`. The default reads `environ["malti.route"]`, which
an app (or the Flask hook) sets to the route template it matched, else the rule of a
werkzeug request still in the environ; `/items/<int:id>` becomes `/items/{id}`. Without a
route the request is reported under "(no route)", never under its raw path.
"""

import logging
import time
from collections.abc import Callable

from .client import ANONYMOUS, UNMATCHED, MaltiClient, get_client
from .templates import route_template

logger = logging.getLogger("malti_client")

CONSUMER_KEYS = ("HTTP_X_CONSUMER_ID", "HTTP_X_CONSUMER", "REMOTE_USER")
ROUTE_KEY = "malti.route"


def werkzeug_route(environ) -> str | None:
    """`environ["malti.route"]` or the rule werkzeug's routing matched, behind the mount prefix (SCRIPT_NAME)."""
    rule = environ.get(ROUTE_KEY)
    if rule is None:
        rule = getattr(getattr(environ.get("werkzeug.request"), "url_rule", None), "rule", None)
        if rule is None:
            return None
    return environ.get("SCRIPT_NAME", "") + route_template(rule)


def default_consumer(environ) -> str:
    """`environ["malti.consumer"]`, else X-Consumer-ID or X-Consumer, else REMOTE_USER, else anonymous."""
    for key in ("malti.consumer", *CONSUMER_KEYS):
        value = environ.get(key)
        if value:
            return str(value)
    return ANONYMOUS


class MaltiWSGIMiddleware:
    def __init__(
        self,
        app,
        client: MaltiClient | None = None,
        *,
        route: Callable[[dict], str | None] = werkzeug_route,
        **settings,
    ):
        self.app = app
        self.client = client or get_client(**settings)
        self.route = route

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status_line = []

        def start_response_seen(status, headers, exc_info=None):
            status_line.append(status)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start_response_seen)
        except BaseException:
            self._report(environ, 500, started)
            raise
        if status_line:
            self._report(environ, int(status_line[-1][:3]), started)
            return body
        # start_response not called yet: the app answers while its body is iterated.
        return _ReportWhenClosed(body, self, environ, status_line, started)

    def _report(self, environ, status: int, started: float) -> None:
        client = self.client
        if not client.wants(status):
            return
        try:
            endpoint = self.route(environ) or UNMATCHED
            consumer = (client.consumer(environ) if client.consumer else None) or default_consumer(environ)
            context = client.context(environ) if client.context else environ.get("malti.context")
            method = environ.get("REQUEST_METHOD", "GET")
            client.record(method, endpoint, status, started, str(consumer), context)
        except Exception:  # telemetry must never break a request
            logger.debug("Malti: could not record a request", exc_info=True)


class _ReportWhenClosed:
    """The body of an app that calls start_response lazily; reports once the server closes it."""

    def __init__(self, body, middleware, environ, status_line, started):
        self._body, self._middleware = body, middleware
        self._environ, self._status_line, self._started = environ, status_line, started

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            status = int(self._status_line[-1][:3]) if self._status_line else 500
            self._middleware._report(self._environ, status, self._started)
