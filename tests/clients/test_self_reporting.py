"""Malti reports its own API traffic (MALTI_SELF_SERVICE), through malti-client's Django middleware, leaving out ingest.

A second Malti is started with the self-reporting settings and sends to the package's live
Malti, which serves the same database, so the traffic shows as it would on one instance.
"""

import pytest

from tests.clients.conftest import per_consumer, per_endpoint
from tests.reliability.conftest import live_server

pytestmark = pytest.mark.django_db

SERVICE = "client-self"


def test_malti_reports_its_own_api_traffic_but_not_its_ingest(server, accounts, read_back, tmp_path):
    reporting = {
        "MALTI_SELF_SERVICE": SERVICE,
        "MALTI_SELF_API_KEY": accounts.keys.__dict__[SERVICE],
        "MALTI_SELF_URL": server.url,
        "MALTI_SELF_NODE": "malti-1",
    }
    ingest = {
        "requests": [{"service": "client-flask", "method": "GET", "endpoint": "/x", "status": 200, "response_time": 1}]
    }
    with live_server(tmp_path, workers=1, **reporting) as malti:
        import httpx

        with httpx.Client(base_url=malti.url, timeout=30) as http:
            viewer = {"X-API-Key": accounts.keys.user}
            answers = [http.get("/api/v1/services", headers=viewer).status_code for _ in range(2)]
            answers.append(http.get("/api/v1/metrics/filters", headers=viewer).status_code)
            answers.append(http.get("/api/v1/services").status_code)  # no key: a 401, left out (clean mode)
            answers.append(
                http.post(
                    "/api/v1/ingest", json=ingest, headers={"X-API-Key": accounts.keys.__dict__["client-flask"]}
                ).status_code
            )
            answers.append(http.get("/health").status_code)
    # live_server stopped gunicorn: its worker's exit flush sent what it held.
    assert answers == [200, 200, 200, 401, 200, 200], malti.log_tail()

    body = read_back(SERVICE)
    assert per_endpoint(body) == {("GET", "/api/v1/services"): (2, 0), ("GET", "/api/v1/metrics/filters"): (1, 0)}
    assert per_consumer(body) == {"clients-viewer": (3, 0)}
    assert body["distinct_nodes"] == ["malti-1"]
