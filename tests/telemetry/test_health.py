import pytest


def test_health_answers_without_a_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


@pytest.mark.django_db
def test_readiness_checks_the_database_and_timescaledb(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["timescaledb"] in ("apache", "timescale")
