"""A Django service (plain views, a DRF router, a Django Ninja API) with malti_client's middleware, under gunicorn.

gunicorn runs it as in production: the app is loaded in the master (--preload) and two
workers are forked from it, each with a fresh sender; what a worker still holds is sent by
its exit flush when gunicorn stops. Malti then reports per route template, never per raw
path, with the consumer from X-Consumer-ID / X-Consumer or the DRF-authenticated user.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest

from tests.clients.conftest import per_consumer, per_endpoint
from tests.reliability.conftest import ROOT, free_port

pytestmark = pytest.mark.django_db

SERVICE = "client-django"


def serve_django_app(tmp_path, malti_url: str, api_key: str) -> tuple[subprocess.Popen, str, "Path"]:  # noqa: F821
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.clients.django_app.settings",
        "MALTI_SERVICE_NAME": SERVICE,
        "MALTI_API_KEY": api_key,
        "MALTI_URL": malti_url,
        "MALTI_NODE": "django-node-1",
        "MALTI_BATCH_SIZE": "4",  # some batches leave while serving, the rest at exit
        "MALTI_BATCH_INTERVAL": "3600",
    }
    log = tmp_path / "django-app.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.clients.django_app.wsgi:application", "--preload",
         "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket", "--graceful-timeout", "20"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return process, url, log
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def send_traffic(url: str) -> list[int]:
    billing, alice, mobile = {"X-Consumer-ID": "billing-ui"}, {"Authorization": "Token alice"}, {"X-Consumer": "mobile"}
    with httpx.Client(base_url=url, timeout=30) as app:
        answers = [app.get(f"/shop/items/{i}", headers=billing).status_code for i in (1, 2, 3, 13)]
        answers.append(app.get("/shop/legacy/ABC/").status_code)
        answers.append(app.get("/api/v1/orders/", headers=alice).status_code)
        answers.append(app.get("/api/v1/orders/7/", headers=alice).status_code)
        answers.append(app.post("/api/v1/orders/", json={"total": 3}, headers=alice).status_code)
        answers.append(app.post("/api/v1/orders/", json={}, headers=alice).status_code)
        answers.append(app.get("/ninja/reports/2024/q1", headers=mobile).status_code)
        answers.append(app.get("/boom").status_code)
        # Left out: a health check, a preflight, and (clean mode) a 401 and two 404s.
        answers.append(app.get("/health").status_code)
        answers.append(app.options("/shop/items/1").status_code)
        answers.append(app.get("/api/v1/secrets/").status_code)
        answers.append(app.get("/api/v1/orders/404/", headers=alice).status_code)
        answers.append(app.get("/nowhere").status_code)
    return answers


def test_a_django_app_under_gunicorn_is_read_back_per_route_template_and_consumer(
    server, accounts, read_back, tmp_path
):
    process, url, log = serve_django_app(tmp_path, server.url, accounts.keys.__dict__[SERVICE])
    try:
        answers = send_traffic(url)
    finally:
        process.send_signal(signal.SIGTERM)  # workers stop gracefully: their exit flush sends the rest
        process.wait(timeout=60)
    assert answers == [200, 200, 200, 503, 200, 200, 200, 201, 400, 200, 500, 200, 200, 401, 404, 404], log.read_text()

    body = read_back(SERVICE)
    assert per_endpoint(body) == {
        ("GET", "/shop/items/{item_id}"): (4, 1),
        ("GET", "/shop/legacy/{code}/"): (1, 0),
        ("GET", "/api/v1/orders/"): (1, 0),
        ("GET", "/api/v1/orders/{pk}/"): (1, 0),
        ("POST", "/api/v1/orders/"): (2, 1),
        ("GET", "/ninja/reports/{year}/{slug}"): (1, 0),
        ("GET", "/boom"): (1, 1),
    }, log.read_text()
    assert per_consumer(body) == {"billing-ui": (4, 1), "alice": (4, 1), "mobile": (1, 0), "anonymous": (2, 1)}
    summary = body["metrics_summary"]
    assert (summary["total_requests"], summary["error_count"]) == (11, 3)
    assert body["distinct_nodes"] == ["django-node-1"]
    (statuses,) = body["status_distribution"]
    assert statuses["status_breakdown"] == {"200": 7, "201": 1, "400": 1, "500": 1, "503": 1}
