"""What is reported: the recording policy shared by the Django, WSGI and ASGI middlewares."""

import logging
import threading
import time
from collections.abc import Callable

from .config import Config
from .sender import Sender

logger = logging.getLogger("malti_client")

ANONYMOUS = "anonymous"
# The endpoint of a request no route matched (reported only with clean mode off): never the raw path,
# which would make one endpoint per URL a scanner tries.
UNMATCHED = "(no route)"
# First path segments of health checks, which a load balancer calls every few seconds.
HEALTH_SEGMENTS = frozenset({"health", "healthz", "healthcheck", "health-check", "livez", "readyz", "ping"})
CLEAN_MODE_STATUSES = frozenset({401, 404})


def default_exclude(method: str, endpoint: str) -> bool:
    """Leave out CORS preflights and health checks."""
    if method == "OPTIONS":
        return True
    return endpoint.strip("/").split("/", 1)[0] in HEALTH_SEGMENTS


class MaltiClient:
    """A sender plus the rules for which requests are reported and how; one per process and configuration."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        consumer: Callable | None = None,
        context: Callable | None = None,
        exclude: Callable[[str, str], bool] | None = default_exclude,
        skip_endpoints: tuple[str, ...] = (),
        sender: Sender | None = None,
        **settings,
    ):
        self.config = config or Config.from_env(**settings)
        self.sender = sender or Sender(self.config)
        # Called with the framework's request (Django HttpRequest, WSGI environ, ASGI scope).
        self.consumer = consumer
        self.context = context
        self.exclude = exclude or (lambda method, endpoint: False)
        # Endpoint templates left out besides `exclude`'s (Malti leaves out its own ingest: no report of a report).
        self.skip_endpoints = tuple(skip_endpoints)
        # Decisions per (method, endpoint): endpoints are templates, so few, and this runs on every request.
        self._left_out: dict[tuple[str, str], bool] = {}
        self.enabled = self.config.enabled
        if not self.enabled:
            logger.warning("Malti client: MALTI_SERVICE_NAME or MALTI_API_KEY not set, nothing will be sent")

    def wants(self, status: int) -> bool:
        """Cheap first check: is a request with this status reported at all?"""
        return self.enabled and not (self.config.clean_mode and status in CLEAN_MODE_STATUSES)

    def record(
        self, method: str, endpoint: str, status: int, started: float, consumer: str, context: str | None
    ) -> None:
        """Queue one request; `started` is the time.perf_counter() at which it arrived."""
        left_out = self._left_out.get((method, endpoint))
        if left_out is None:
            left_out = self._leaves_out(method, endpoint)
        if left_out:
            return
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        self.sender.add((method, endpoint, status, elapsed_ms, consumer, context, time.time()))

    def _leaves_out(self, method: str, endpoint: str) -> bool:
        skipped = bool(self.skip_endpoints) and endpoint.startswith(self.skip_endpoints)
        left_out = skipped or bool(self.exclude(method, endpoint))
        if len(self._left_out) < 10_000:  # a bound, should an app report odd methods or endpoints
            self._left_out[(method, endpoint)] = left_out
        return left_out

    def flush(self, timeout: float | None = None) -> bool:
        return self.sender.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        return self.sender.close(timeout)

    @property
    def stats(self):
        return self.sender.stats


_clients: dict[tuple, MaltiClient] = {}
_clients_lock = threading.Lock()


def get_client(**settings) -> MaltiClient:
    """The process's client for these settings (MALTI_* variables for the rest), created on first use.

    Middlewares built twice with the same settings (Django builds its stack per handler) share
    one queue and one thread.
    """
    rules = {
        name: settings.pop(name) for name in ("consumer", "context", "exclude", "skip_endpoints") if name in settings
    }
    if "skip_endpoints" in rules:
        rules["skip_endpoints"] = tuple(rules["skip_endpoints"])
    config = Config.from_env(**settings)
    key = (config, *sorted((name, value if name == "skip_endpoints" else id(value)) for name, value in rules.items()))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = MaltiClient(config, **rules)
        return client
