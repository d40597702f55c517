from datetime import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_auth_test_says_who_and_gives_thresholds(api, user_api_key, tenant):
    tenant.error_rate_warning = 2.5
    tenant.save()
    body = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).json()
    assert body["user"]["name"] == "alice" and body["user"]["type"] == "user"
    assert "read_metrics" in body["user"]["permissions"]
    assert body["thresholds"]["error_rate_warning"] == 2.5
    assert datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).tzinfo is not None


def test_auth_test_refuses_service_keys_and_strangers(api, service_api_key):
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=service_api_key).status_code == 403
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY="malti_u_unknown").status_code == 401


def csrf_client():
    client = APIClient(enforce_csrf_checks=True)
    client.get("/")  # the dashboard page sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def test_password_login_starts_a_session_with_csrf(user):
    client, token = csrf_client()
    response = client.post(
        "/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/test").json()["user"]["auth"] == "session"


def test_login_without_the_csrf_token_is_refused(user):
    client, _ = csrf_client()
    response = client.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 403


def test_a_wrong_password_is_401(user):
    client, token = csrf_client()
    response = client.post(
        "/api/v1/auth/login", {"username": "alice", "password": "nope"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 401


def test_api_key_login_starts_a_session_for_the_keys_user(user, user_api_key):
    client, token = csrf_client()
    response = client.post("/api/v1/auth/login/key", {"api_key": user_api_key}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert client.get("/api/v1/auth/test").json()["user"]["name"] == "alice"


def test_a_service_key_cannot_log_in(service_api_key):
    client, token = csrf_client()
    response = client.post(
        "/api/v1/auth/login/key", {"api_key": service_api_key}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 401


def test_logout_ends_the_session(user):
    client, token = csrf_client()
    client.post(
        "/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token
    )
    token = client.cookies["csrftoken"].value
    assert client.post("/api/v1/auth/logout", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/v1/auth/test").status_code in (401, 403)


def test_login_attempts_are_rate_limited_per_user_name(user, settings):
    settings.MALTI_RATELIMIT_LOGIN = "3/h"  # per hour: the burst never straddles a window
    client, token = csrf_client()
    codes = [
        client.post(
            "/api/v1/auth/login", {"username": "alice", "password": "x"}, format="json", HTTP_X_CSRFTOKEN=token
        ).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]


def test_revoked_user_key_cannot_read(api, user):
    key, raw = ApiKey.issue(user=user)
    key.revoke()
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=raw).status_code == 401
