"""Realistic synthetic traffic, for the demo instance, tests and benchmarks.

Route-template endpoints, Zipf-distributed consumers, a status mix with rare
errors and log-normal latencies; reproducible for a given seed.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

METHOD_WEIGHTS = {"GET": 70, "POST": 18, "PUT": 6, "DELETE": 4, "PATCH": 2}
STATUS_WEIGHTS = {
    200: 820,
    201: 60,
    204: 30,
    304: 20,
    400: 25,
    401: 12,
    403: 6,
    404: 15,
    409: 3,
    429: 3,
    500: 4,
    502: 1,
    503: 1,
}
RESOURCES = [
    "orders",
    "users",
    "items",
    "carts",
    "payments",
    "invoices",
    "sessions",
    "products",
    "reviews",
    "shipments",
]
CONTEXTS = ["web", "mobile", "batch", "internal"]


@dataclass
class TrafficModel:
    services: list[str]
    nodes_per_service: int = 3
    endpoints_per_service: int = 40
    consumers: int = 200
    seed: int = 7
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.endpoints = {
            service: [self._endpoint(i) for i in range(self.endpoints_per_service)] for service in self.services
        }
        # Per endpoint: a typical latency (median ms) and spread.
        self.latency = {
            (service, endpoint): (self.rng.uniform(8, 250), self.rng.uniform(0.3, 0.9))
            for service, endpoints in self.endpoints.items()
            for endpoint in endpoints
        }
        self.consumer_names = [f"consumer-{i:03d}" for i in range(self.consumers)]
        zipf = [1 / (rank + 1) for rank in range(self.consumers)]
        total = sum(zipf)
        self.consumer_weights = [w / total for w in zipf]
        self.methods, self.method_weights = zip(*METHOD_WEIGHTS.items(), strict=True)
        self.statuses, self.status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)

    def _endpoint(self, i: int) -> str:
        resource = RESOURCES[i % len(RESOURCES)]
        shape = i // len(RESOURCES)
        return [
            f"/api/{resource}",
            f"/api/{resource}/{{id}}",
            f"/api/{resource}/{{id}}/history",
            f"/v2/{resource}/search",
        ][shape % 4] + (f"/{shape // 4}" if shape >= 4 else "")

    def records(self, count: int, start: datetime, end: datetime) -> list[dict]:
        """`count` records spread uniformly over [start, end)."""
        rng = self.rng
        span = (end - start).total_seconds()
        services = self.services
        consumers = rng.choices(self.consumer_names, self.consumer_weights, k=count)
        methods = rng.choices(self.methods, self.method_weights, k=count)
        statuses = rng.choices(self.statuses, self.status_weights, k=count)
        out = []
        for i in range(count):
            service = services[rng.randrange(len(services))]
            endpoint = rng.choice(self.endpoints[service])
            median, sigma = self.latency[(service, endpoint)]
            latency = int(min(3_600_000, rng.lognormvariate(math.log(median), sigma)))
            status = statuses[i]
            if status >= 500:
                latency *= 3
            out.append(
                {
                    "service": service,
                    "node": f"{service}-node-{rng.randrange(self.nodes_per_service) + 1}",
                    "method": methods[i],
                    "endpoint": endpoint,
                    "status": status,
                    "response_time": latency,
                    "consumer": consumers[i],
                    "context": CONTEXTS[rng.randrange(len(CONTEXTS))],
                    "created_at": start + timedelta(seconds=rng.random() * span),
                }
            )
        return out


def daily_rate(moment: datetime, mean_per_second: float) -> float:
    """A daily cycle: quiet at 03:00 UTC, busiest at 15:00, averaging `mean_per_second`."""
    hour = moment.hour + moment.minute / 60
    return mean_per_second * (1 + 0.6 * math.sin((hour - 9) / 24 * 2 * math.pi))


def as_rows(records: list[dict]) -> list[tuple]:
    """Records (with datetime created_at) in the raw table's COPY column order."""
    return [
        (
            r["service"],
            r["node"],
            r["method"],
            r["created_at"],
            r["endpoint"],
            r["context"],
            r["status"],
            r["response_time"],
            r["consumer"],
        )
        for r in records
    ]
