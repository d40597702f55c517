"""ASGI middleware: Starlette and FastAPI (`app.add_middleware(MaltiASGIMiddleware)`) or any ASGI app.

The endpoint is the template of the route Starlette matched (`scope["route"]`), behind
the prefix of any Mount it went through; another ASGI framework passes `route=callable(scope)`.
A Django ASGI app is better served by the Django middleware, which sees Django's URL patterns.
"""

import logging
import time
from collections.abc import Callable

from .client import ANONYMOUS, UNMATCHED, MaltiClient, get_client
from .templates import route_template

logger = logging.getLogger("malti_client")

CONSUMER_HEADERS = (b"x-consumer-id", b"x-consumer")


def starlette_route(scope, root_path: str = "") -> str | None:
    """`scope["route"]`'s path template (`/items/{item_id}`), with the mount prefixes in front."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path is None:
        return None
    mounted = scope.get("root_path", "")[len(root_path) :]
    return mounted + route_template(path)


def default_consumer(scope) -> str:
    """`scope["state"]["malti_consumer"]`, else X-Consumer-ID or X-Consumer, else the authenticated user."""
    state = scope.get("state")
    if state and state.get("malti_consumer"):
        return str(state["malti_consumer"])
    headers = dict(scope.get("headers") or ())
    for header in CONSUMER_HEADERS:
        if headers.get(header):
            return headers[header].decode("latin-1")
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return str(getattr(user, "display_name", None) or getattr(user, "username", None) or user)
    return ANONYMOUS


class MaltiASGIMiddleware:
    def __init__(
        self,
        app,
        client: MaltiClient | None = None,
        *,
        route: Callable[[dict], str | None] | None = None,
        **settings,
    ):
        self.app = app
        self.client = client or get_client(**settings)
        self.route = route

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500

        async def send_seen(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_seen)
        finally:
            self._report(scope, root_path, status, started)

    def _report(self, scope, root_path: str, status: int, started: float) -> None:
        client = self.client
        if not client.wants(status):
            return
        try:
            endpoint = (self.route(scope) if self.route else starlette_route(scope, root_path)) or UNMATCHED
            consumer = (client.consumer(scope) if client.consumer else None) or default_consumer(scope)
            state = scope.get("state") or {}
            context = client.context(scope) if client.context else state.get("malti_context")
            client.record(scope.get("method", "GET"), endpoint, status, started, str(consumer), context)
        except Exception:  # telemetry must never break a request
            logger.debug("Malti: could not record a request", exc_info=True)
