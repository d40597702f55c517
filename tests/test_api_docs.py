import pytest


@pytest.mark.django_db
def test_the_openapi_schema_describes_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/ingest",
        "/api/v1/metrics/aggregate",
        "/api/v1/metrics/aggregate/realtime",
        "/api/v1/metrics/filters",
        "/api/v1/services",
        "/api/v1/auth/test",
        "/api/v1/requests",
    ):
        assert path in paths


def test_the_docs_page_loads_redoc_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr.net" not in html and "/static/drf_spectacular_sidecar/redoc" in html
    assert "worker-src 'self' blob:" in response.headers["Content-Security-Policy"]


def test_every_page_sends_the_content_security_policy(client):
    response = client.get("/health")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
