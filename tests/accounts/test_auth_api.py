from datetime import datetime, timedelta

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from accounts.models import ApiKey
from malti_site import clock
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, TenantFactory, UserFactory, user_key

pytestmark = pytest.mark.django_db

ORIGINAL_THRESHOLDS = [
    "error_rate_success_threshold",
    "error_rate_warning_threshold",
    "error_success_threshold",
    "error_warning_threshold",
    "latency_success_threshold",
    "latency_warning_threshold",
]


def test_auth_test_answers_with_the_original_fields_and_types(api, user_api_key, tenant, settings):
    settings.MALTI_RATELIMIT_AUTH_TEST = "7/h"
    body = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).json()
    assert set(body) == {"authenticated", "user", "thresholds", "timestamp", "rate_limit_info"}
    assert body["authenticated"] is True
    assert body["user"] == {
        "name": "alice",
        "type": "user",
        "permissions": ["metrics"],
        "auth": "api_key",
        "tenants": ["Acme"],
        "roles": {"Acme": "viewer"},
    }
    assert set(body["thresholds"]) == set(ORIGINAL_THRESHOLDS)
    assert all(isinstance(value, int | float) for value in body["thresholds"].values())
    assert body["rate_limit_info"] == {
        "endpoint": "auth_test",
        "limit": "7/hour",
        "description": "Per client address for API keys, per user for dashboard sessions.",
    }
    assert body["timestamp"].endswith("Z")
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0) and abs(stamp - clock.now()) < timedelta(seconds=5)


def test_thresholds_map_the_tenants_levels_to_the_original_names(api, user_api_key, tenant):
    tenant.error_rate_warning, tenant.error_rate_critical = 0.5, 1.0
    tenant.latency_warning_ms, tenant.latency_critical_ms = 300, 800
    tenant.save()
    thresholds = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).json()["thresholds"]
    assert thresholds == {
        "error_rate_success_threshold": 0.5,
        "error_success_threshold": 0.5,
        "error_rate_warning_threshold": 1.0,
        "error_warning_threshold": 1.0,
        "latency_success_threshold": 300,
        "latency_warning_threshold": 800,
    }


def test_with_several_tenants_the_strictest_level_of_each_applies(api, user, user_api_key, tenant):
    tenant.error_rate_warning, tenant.latency_critical_ms = 2.0, 2000
    tenant.save()
    MembershipFactory(user=user, tenant=TenantFactory(name="Bolt", error_rate_warning=4.0, latency_critical_ms=700))
    thresholds = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).json()["thresholds"]
    assert thresholds["error_rate_success_threshold"] == 2.0 and thresholds["latency_warning_threshold"] == 700


def test_a_user_without_tenants_gets_the_default_levels(api):
    thresholds = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_key(UserFactory(username="loner"))).json()
    assert thresholds["thresholds"]["error_rate_success_threshold"] == 5.0
    assert thresholds["thresholds"]["latency_warning_threshold"] == 1000


def test_a_staff_user_has_the_admin_permission_too(api):
    staff = UserFactory(username="root", is_staff=True)
    body = api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_key(staff)).json()
    assert body["user"]["permissions"] == ["metrics", "admin"]


def test_auth_test_refuses_service_keys_and_strangers(api, service_api_key):
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=service_api_key).status_code == 403
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY="malti_u_unknown").status_code == 401
    assert api.get("/api/v1/auth/test").status_code == 401


def test_the_accounts_routes_are_the_accounts_apps_own(client):
    for path, name in [
        ("/api/v1/auth/test", "auth-test"),
        ("/api/v1/auth/login", "login"),
        ("/api/v1/auth/login/key", "login-key"),
        ("/api/v1/auth/logout", "logout"),
    ]:
        match = resolve(path)
        assert match.url_name == name and match.func.view_class.__module__ == "accounts.api.views"

    from telemetry.api import urls as telemetry_urls

    assert not [p for p in telemetry_urls.urlpatterns if str(p.pattern).startswith("auth/")]


def csrf_client(address="127.0.0.1"):
    client = APIClient(enforce_csrf_checks=True, REMOTE_ADDR=address)
    client.get("/")  # the dashboard page sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def log_in(client, token, username="alice", password=PASSWORD):
    return client.post(
        "/api/v1/auth/login", {"username": username, "password": password}, format="json", HTTP_X_CSRFTOKEN=token
    )


def key_log_in(client, token, raw):
    return client.post("/api/v1/auth/login/key", {"api_key": raw}, format="json", HTTP_X_CSRFTOKEN=token)


def test_password_login_starts_a_session_with_csrf(user):
    client, token = csrf_client()
    response = log_in(client, token)
    assert response.status_code == 200
    assert response.json()["user"]["name"] == "alice"
    assert client.get("/api/v1/auth/test").json()["user"]["auth"] == "session"


def test_login_without_the_csrf_token_is_refused(user):
    client, _ = csrf_client()
    response = client.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 403


def test_a_wrong_password_is_401(user):
    client, token = csrf_client()
    response = log_in(client, token, password="nope")
    assert response.status_code == 401 and response.json() == {"detail": "Wrong username or password."}


@pytest.mark.parametrize("body", [{}, {"username": "alice"}, [1, 2], {"username": ["a"], "password": "x"}])
def test_a_login_without_a_username_and_password_is_400(user, body):
    client, token = csrf_client()
    response = client.post("/api/v1/auth/login", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400 and "detail" in response.json()


def test_a_password_is_not_trimmed(user):
    client, token = csrf_client()
    assert log_in(client, token, password=f" {PASSWORD} ").status_code == 401


def test_api_key_login_starts_a_session_for_the_keys_user(user, user_api_key):
    client, token = csrf_client()
    assert key_log_in(client, token, user_api_key).status_code == 200
    assert client.get("/api/v1/auth/test").json()["user"]["name"] == "alice"


def test_a_service_key_cannot_log_in(service_api_key):
    client, token = csrf_client()
    assert key_log_in(client, token, service_api_key).status_code == 401


def test_logout_ends_the_session(user):
    client, token = csrf_client()
    log_in(client, token)
    token = client.cookies["csrftoken"].value
    assert client.post("/api/v1/auth/logout", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/v1/auth/test").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/login/key", "/api/v1/auth/logout"])
@pytest.mark.parametrize("method", ["QUERY", "PROPFIND", "PUT"])
def test_an_undeclared_method_is_a_405_not_a_csrf_refusal(user, path, method):
    client, _ = csrf_client()
    assert client.generic(method, path).status_code == 405
    log_in(client, client.cookies["csrftoken"].value)  # with a session, CSRF would be checked too
    response = client.generic(method, path)
    assert response.status_code == 405, response.content
    assert "POST" in response["Allow"]


def test_an_undeclared_method_on_auth_test_is_a_405_for_a_session(user):
    client, token = csrf_client()
    log_in(client, token)
    assert client.generic("QUERY", "/api/v1/auth/test").status_code == 405


def test_revoked_user_key_cannot_read(api, user):
    key, raw = ApiKey.issue(user=user)
    key.revoke()
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=raw).status_code == 401


# --- A session started with a key lasts as long as the key -------------------------------


def test_a_key_session_ends_when_the_key_is_revoked(user):
    key, raw = ApiKey.issue(user=user)
    client, token = csrf_client()
    key_log_in(client, token, raw)
    assert client.get("/api/v1/auth/test").status_code == 200
    key.revoke()
    assert client.get("/api/v1/auth/test").status_code == 401
    assert client.get("/api/v1/metrics/filters").status_code == 401
    key.revoked_at = None  # even un-revoked, the session is gone for good
    key.save()
    assert client.get("/api/v1/auth/test").status_code == 401


def test_a_key_session_of_a_staff_user_does_not_reach_admin(user):
    user.is_staff = user.is_superuser = True
    user.save()
    _, raw = ApiKey.issue(user=user)
    client, token = csrf_client()
    key_log_in(client, token, raw)
    assert client.get("/api/v1/auth/test").status_code == 200  # the dashboard's reads go on
    refused = client.get("/admin/")
    assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
    password_client, token = csrf_client()
    log_in(password_client, token)
    assert password_client.get("/admin/").status_code == 200


def test_a_key_session_ends_when_the_key_expires(user):
    key, raw = ApiKey.issue(user=user, expires_at=clock.now() + timedelta(hours=1))
    client, token = csrf_client()
    key_log_in(client, token, raw)
    assert client.get("/api/v1/auth/test").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/test").status_code == 401


def test_a_password_session_does_not_depend_on_the_users_keys(user):
    key, _ = ApiKey.issue(user=user)
    client, token = csrf_client()
    log_in(client, token)
    key.revoke()
    assert client.get("/api/v1/auth/test").status_code == 200


def test_a_key_session_checks_its_key_with_one_query(user, django_assert_num_queries):
    _, raw = ApiKey.issue(user=user)
    client, token = csrf_client()
    key_log_in(client, token, raw)
    with django_assert_num_queries(2) as queries:  # the session, then its key
        assert client.get("/api/v1/not-a-route").status_code == 404
    assert ["accounts_apikey" in query["sql"] for query in queries.captured_queries] == [False, True]


# --- Failed authentication is rate limited per client address ----------------------------


def assert_429(response):
    assert response.status_code == 429, response.content
    assert int(response.headers["Retry-After"]) > 0
    assert "Rate limit exceeded" in response.json()["detail"]


def test_unknown_keys_are_limited_per_address_and_then_nothing_from_there_is_checked(
    api, user_api_key, service_api_key, settings
):
    settings.MALTI_RATELIMIT_AUTH_FAILURES = "3/h"
    codes = [api.get("/api/v1/auth/test", HTTP_X_API_KEY=f"guess-{i}").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    assert_429(api.get("/api/v1/auth/test", HTTP_X_API_KEY="guess-3"))
    # Even a right key gets no answer now: a guesser must not learn when it is right.
    assert_429(api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key))
    assert_429(api.post("/api/v1/ingest", {"requests": []}, format="json", HTTP_X_API_KEY=service_api_key))
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.9")
    assert elsewhere.get("/api/v1/auth/test", HTTP_X_API_KEY=user_api_key).status_code == 200


def test_revoked_expired_and_missing_keys_do_not_count_as_guesses(api, user, settings):
    settings.MALTI_RATELIMIT_AUTH_FAILURES = "2/h"
    revoked, revoked_raw = ApiKey.issue(user=user)
    revoked.revoke()
    expired = user_key(user, expires_at=clock.now() - timedelta(seconds=1))
    for _ in range(5):
        assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=revoked_raw).status_code == 401
        assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=expired).status_code == 401
        assert api.get("/api/v1/auth/test").status_code == 401
    assert api.get("/api/v1/auth/test", HTTP_X_API_KEY=user_key(user)).status_code == 200


def test_wrong_passwords_and_keys_share_the_addresss_failure_budget(user, settings):
    settings.MALTI_RATELIMIT_AUTH_FAILURES = "3/h"
    client, token = csrf_client()
    assert log_in(client, token, username="bob", password="x").status_code == 401
    assert key_log_in(client, token, "guess").status_code == 401
    assert client.get("/api/v1/auth/test", HTTP_X_API_KEY="guess").status_code == 401
    assert_429(log_in(client, token))  # alice's right password: not even checked now


# --- Login limits: per user name *and* address, never per user name alone ----------------


def test_login_attempts_are_limited_per_user_name_from_one_address(user, settings):
    settings.MALTI_RATELIMIT_LOGIN = "3/h"  # per hour: the burst never straddles a window
    client, token = csrf_client()
    codes = [log_in(client, token, username=name, password="x").status_code for name in ["alice", "ALICE", "Alice"]]
    assert codes == [401, 401, 401]
    assert_429(log_in(client, token, username="aLiCe", password="x"))
    assert log_in(client, token, username="bob", password="x").status_code == 401, "another name is not limited"


def test_nobody_can_lock_a_user_out_from_another_address(user, settings):
    settings.MALTI_RATELIMIT_LOGIN = "3/h"
    attacker, attacker_token = csrf_client("203.0.113.66")
    for _ in range(6):
        log_in(attacker, attacker_token, password="x")
    assert_429(log_in(attacker, attacker_token))
    alice, alice_token = csrf_client("198.51.100.7")
    assert log_in(alice, alice_token).status_code == 200


def test_successful_logins_do_not_use_up_the_addresss_failure_budget(settings):
    settings.MALTI_RATELIMIT_AUTH_FAILURES = "2/h"
    tenant = TenantFactory(name="Office")
    for i in range(5):
        MembershipFactory(user=UserFactory(username=f"clerk-{i}"), tenant=tenant)
    for i in range(5):
        client, token = csrf_client("192.0.2.10")  # one office, one address
        assert log_in(client, token, username=f"clerk-{i}").status_code == 200
