"""The seeded traffic the browser tests look at: deterministic, so totals are known."""

from dataclasses import dataclass
from datetime import datetime, timedelta

XSS_ENDPOINT = "<img src=x onerror=alert(1)>"

SERVICES = {
    "checkout": "Orders and payments",
    "catalog": "Product search",
    "accounts": "Sign-up and login",
}
OTHER_TENANT_SERVICE = "rival-billing"


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    endpoint: str
    recent: int  # requests in the last hour
    older: int  # requests 2 to 5 hours ago
    error_every: int  # every n-th request fails (0: never)
    base_ms: int


ROUTES = (
    Route("checkout", "GET", "/api/orders/{id}", 60, 30, 10, 20),
    Route("checkout", "POST", "/api/orders", 25, 15, 5, 80),
    Route("checkout", "GET", XSS_ENDPOINT, 7, 0, 0, 5),
    Route("catalog", "GET", "/search", 40, 40, 20, 120),
    Route("catalog", "GET", "/products/{sku}", 20, 10, 0, 15),
    Route("accounts", "POST", "/login", 12, 8, 4, 250),
    Route(OTHER_TENANT_SERVICE, "GET", "/invoices", 9, 0, 0, 10),
)
CONSUMERS = ("web-app", "mobile", "batch-job")
NODES = ("node-1", "node-2")
CONTEXTS = ("web", "cron")


def records(now: datetime) -> dict[str, list[dict]]:
    """Records per service: the last hour's spread over 3–52 minutes ago, older ones over 2–5 hours ago."""
    by_service: dict[str, list[dict]] = {}
    for r, route in enumerate(ROUTES):
        for i in range(route.recent + route.older):
            recent = i < route.recent
            ago = timedelta(minutes=3 + (i * 7 + r) % 50) if recent else timedelta(minutes=120 + (i * 13 + r) % 180)
            failing = route.error_every and i % route.error_every == route.error_every - 1
            status = (500 if i % 2 else 404) if failing else (304 if i % 9 == 8 else 200)
            by_service.setdefault(route.service, []).append(
                {
                    "service": route.service,
                    "method": route.method,
                    "endpoint": route.endpoint,
                    "status": status,
                    "response_time": route.base_ms + (i * 37) % (route.base_ms * 3),
                    "consumer": CONSUMERS[(i + r) % len(CONSUMERS)],
                    "node": NODES[i % len(NODES)],
                    "context": CONTEXTS[(i // 3) % len(CONTEXTS)],
                    "created_at": (now - ago).isoformat(),
                }
            )
    return by_service


def visible_routes():
    return [route for route in ROUTES if route.service in SERVICES]


def total(*, recent_only=False, service=None, endpoint=None) -> int:
    return sum(
        route.recent if recent_only else route.recent + route.older
        for route in visible_routes()
        if (service is None or route.service == service) and (endpoint is None or route.endpoint == endpoint)
    )
