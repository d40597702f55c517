"""Flask: `instrument(app)` wraps `app.wsgi_app` with the WSGI middleware and tells it which URL rule matched.

Flask forgets the matched rule when its request context ends, before the middleware sees
the answer, so a hook that runs right after routing leaves it in the WSGI environ.
"""

from flask import Flask, request

from .client import MaltiClient
from .wsgi import ROUTE_KEY, MaltiWSGIMiddleware

try:  # the request context's context variable: a third of the hook's cost of going through the `request` proxy
    from flask.globals import _cv_request

    def _current_request():
        return _cv_request.get().request
except ImportError:  # a Flask that keeps its request elsewhere

    def _current_request():
        return request._get_current_object()


def _keep_matched_rule(endpoint, values) -> None:
    current = _current_request()
    rule = current.url_rule
    if rule is not None:
        current.environ[ROUTE_KEY] = rule.rule


def instrument(app: Flask, client: MaltiClient | None = None, **settings) -> MaltiWSGIMiddleware:
    """Report every request `app` serves; settings as for MaltiClient (or the MALTI_* variables)."""
    app.url_value_preprocessor(_keep_matched_rule)
    middleware = MaltiWSGIMiddleware(app.wsgi_app, client, **settings)
    app.wsgi_app = middleware
    return middleware
