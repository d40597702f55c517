"""The OpenTelemetry Python SDK's OTLP/HTTP exporter, in a process of its own, sends to a live Malti.

The process is configured only as the README says (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and
_HEADERS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES); what it sent is read back through
GET /api/v1/metrics/aggregate: counts, errors, endpoints, consumers, nodes and latencies.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.live_tenant import recent_metrics

pytestmark = pytest.mark.django_db

SERVICE_PROGRAM = Path(__file__).with_name("sdk_service.py")


def run_instrumented_service(server, service: str, headers: str, **otel) -> str:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("OTEL_")},
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{server.url}/v1/traces",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": headers,
        "OTEL_SERVICE_NAME": service,
        "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=shop-node-1,deployment.environment.name=test",
        **otel,
    }
    result = subprocess.run(
        [sys.executable, str(SERVICE_PROGRAM)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{server.log_tail()}"
    return result.stdout


def metrics(http, accounts, service: str) -> dict:
    return recent_metrics(http, accounts.keys.user, service)


@pytest.mark.parametrize(
    "service, credentials, otel",
    [
        ("compat-checkout", lambda keys: f"x-api-key={keys.checkout}", {}),
        (
            "compat-payments",
            lambda keys: f"authorization={quote('Bearer ' + keys.payments)}",
            {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"},
        ),
    ],
    ids=["x-api-key", "bearer-gzip"],
)
def test_what_the_sdk_exports_is_read_back_exactly_through_the_metrics_api(
    server, http, accounts, rollups_refreshed, service, credentials, otel
):
    said = run_instrumented_service(server, service, credentials(accounts.keys), **otel)
    assert said.split() and set(said.split()) == {"SUCCESS"}, said

    rollups_refreshed()
    body = metrics(http, accounts, service)
    endpoints = {
        (e["method"], e["endpoint"]): (e["total_requests"], e["error_count"], e["avg_latency"])
        for e in body["endpoints"]
    }
    assert endpoints == {
        ("GET", "/items/{item_id}"): (4, 1, 25),
        ("POST", "/items"): (3, 1, 5),
        ("DELETE", "/items/{item_id}"): (1, 1, 100),
        ("GET", "(no route)"): (1, 1, 1),
    }
    consumers = {c["consumer"]: (c["total_requests"], c["error_count"]) for c in body["consumers"]}
    assert consumers == {"billing-ui": (5, 2), "mobile": (3, 1), "": (1, 1)}
    summary = body["metrics_summary"]
    assert (summary["total_requests"], summary["error_count"], summary["max_latency"]) == (9, 4, 100)
    assert body["distinct_nodes"] == ["shop-node-1"]
    (statuses,) = body["status_distribution"]
    assert statuses["status_breakdown"] == {"200": 3, "201": 2, "404": 1, "422": 1, "500": 1, "503": 1}
    # The client and internal spans beside each request are not requests.
    assert body["system_overview"]["total_requests"] == 9
