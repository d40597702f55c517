"""The official Python client (malti-telemetry 1.0.4, from PyPI) in a FastAPI app, sending to a live Malti.

The client is configured as its README says, with MALTI_* variables; it batches records in
memory and sends what is left when the app's lifespan ends (BatchSender.stop), dropping a
batch on any answer but 200. It reports route templates (`/items/{item_id}`), the consumer
from X-Consumer-ID (else "anonymous"), and in its default clean mode leaves out 401 and 404.
What it sent is read back through the original's names: total_requests, error_count.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from malti_telemetry import core
from malti_telemetry.middleware import MaltiMiddleware
from pydantic import BaseModel

pytestmark = pytest.mark.django_db


class Item(BaseModel):
    name: str


def shop() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def get_item(item_id: int):
        if item_id == 13:
            raise HTTPException(status_code=503, detail="unlucky")
        return {"id": item_id}

    @app.post("/items", status_code=201)
    def create_item(item: Item):
        return item

    @app.get("/forbidden")
    def forbidden():
        raise HTTPException(status_code=403)

    @app.get("/boom")
    def boom():
        raise RuntimeError("an unhandled error is a 500")

    app.add_middleware(MaltiMiddleware)
    return app


@pytest.fixture
def client_settings(monkeypatch, server, accounts):
    """The client's configuration, and a fresh global TelemetrySystem that reads it."""
    for name, value in {
        "MALTI_SERVICE_NAME": "compat-checkout",
        "MALTI_API_KEY": accounts.keys.checkout,
        "MALTI_URL": server.url,
        "MALTI_NODE": "shop-node-1",
        "MALTI_BATCH_SIZE": "4",  # the final flush sends three batches
        "MALTI_BATCH_INTERVAL": "3600",  # nothing leaves before the app stops
        "MALTI_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(core, "_telemetry_system", None)


def serve_traffic() -> dict:
    """Requests to the app in-process, its lifespan included; returns the client's statistics after the flush."""
    with TestClient(shop(), raise_server_exceptions=False) as shop_client:
        billing = {"X-Consumer-ID": "billing-ui"}
        answers = [shop_client.get(f"/items/{i}", headers=billing).status_code for i in (1, 2, 3, 13)]
        mobile = {"X-Consumer-ID": "mobile"}
        answers += [shop_client.post("/items", json={"name": n}, headers=mobile).status_code for n in ("a", "b")]
        answers.append(shop_client.post("/items", json={"nom": "?"}, headers=mobile).status_code)
        answers += [shop_client.get("/forbidden").status_code, shop_client.get("/boom").status_code]
        answers.append(shop_client.get("/nowhere").status_code)  # 404: clean mode leaves it out
        assert answers == [200, 200, 200, 503, 201, 201, 422, 403, 500, 404]
        assert core.get_telemetry_system().get_stats()["total_sent"] == 0, "nothing is sent before the flush"
    return core.get_telemetry_system().get_stats()


def test_what_the_official_client_sends_is_read_back_per_endpoint_and_consumer(
    client_settings, http, accounts, rollups_refreshed
):
    stats = serve_traffic()
    assert (stats["total_added"], stats["total_sent"], stats["total_failed"]) == (9, 9, 0), stats

    rollups_refreshed()
    now = datetime.now(UTC)
    response = http.get(
        "/api/v1/metrics/aggregate",
        params={
            "service": "compat-checkout",
            "start_time": (now - timedelta(minutes=30)).isoformat(),
            "end_time": (now + timedelta(minutes=1)).isoformat(),
        },
        headers={"X-API-Key": accounts.keys.user},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    endpoints = {(e["method"], e["endpoint"]): (e["total_requests"], e["error_count"]) for e in body["endpoints"]}
    assert endpoints == {
        ("GET", "/items/{item_id}"): (4, 1),
        ("POST", "/items"): (3, 1),
        ("GET", "/forbidden"): (1, 1),
        ("GET", "/boom"): (1, 1),
    }
    consumers = {c["consumer"]: (c["total_requests"], c["error_count"]) for c in body["consumers"]}
    assert consumers == {"billing-ui": (4, 1), "mobile": (3, 1), "anonymous": (2, 2)}
    summary = body["metrics_summary"]
    assert (summary["total_requests"], summary["error_count"]) == (9, 4)
    assert body["distinct_nodes"] == ["shop-node-1"]
    (statuses,) = body["status_distribution"]
    assert statuses["status_breakdown"] == {"200": 3, "201": 2, "403": 1, "422": 1, "500": 1, "503": 1}
