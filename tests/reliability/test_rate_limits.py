"""Rate limits are exact under concurrency: N+k simultaneous requests against a limit of N let
exactly N through, across two server processes sharing Redis. X-Forwarded-For counts only from
trusted proxies."""

import http.client
import json
import threading
from datetime import timedelta

import orjson
import pytest
import redis
from django.test import RequestFactory

from malti_site.client_ip import client_ip
from telemetry.models import Request
from telemetry.traffic import as_rows
from tests.conftest import record, utc_now
from tests.factories import MembershipFactory, TenantFactory, UserFactory, service_key, user_key
from tests.reliability.conftest import live_server
from tests.telemetry.helpers import raw_count

# Per hour, so a burst never straddles a window (django-ratelimit's windows are per key and aligned).
LIMITS = {"INGEST": 7, "METRICS": 6, "AUTH_TEST": 5, "LOGIN": 4, "AUTH_FAILURES": 8}
EXTRA = 8
# The servers' own Redis database, emptied before each test; the pytest process's cache is not used.
REDIS_URL = "redis://127.0.0.1:6379/12"
CSRF = "a" * 32  # any 32 letters and digits: Django compares the cookie and the header


def server_env(**extra):
    env = {f"MALTI_RATELIMIT_{name}": f"{limit}/h" for name, limit in LIMITS.items()}
    return {**env, "MALTI_RATELIMIT_ENABLE": "1", "MALTI_REDIS_URL": REDIS_URL, **extra}


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("direct"), workers=2, **server_env()) as live:
        yield live


@pytest.fixture(scope="module")
def proxied_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """Behind a reverse proxy on loopback: X-Forwarded-For names the client."""
    with live_server(
        tmp_path_factory.mktemp("proxied"), workers=2, **server_env(MALTI_TRUSTED_PROXIES="127.0.0.1/32")
    ) as live:
        yield live


@pytest.fixture
def fresh_counters():
    redis.Redis.from_url(REDIS_URL).flushdb()


def send(url, method, path, *, body=None, headers=None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def burst(requests):
    """Fire (method, path, kwargs) requests at once from one thread each; return the answers in order."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, url, method, path, kwargs):
        barrier.wait()
        answers[index] = send(url, method, path, **kwargs)

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def assert_limited_properly(answers, allowed_status=200):
    codes = [status for status, _, _ in answers]
    for status, headers, body in answers:
        if status == 429:
            assert headers["Retry-After"].isdigit() and int(headers["Retry-After"]) > 0
            assert headers["Content-Type"] == "application/json"
            assert "Rate limit" in json.loads(body)["detail"]
        else:
            assert status == allowed_status, (status, body[:300])
    return codes.count(allowed_status)


def ingest_request(url, key, consumer):
    body = orjson.dumps({"requests": [record(consumer=consumer)]})
    return (
        url,
        "POST",
        "/api/v1/ingest",
        {"body": body, "headers": {"X-API-Key": key, "Content-Type": "application/json"}},
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ingest_lets_exactly_n_through_per_key(server, fresh_counters, service):
    first, second = service_key(service), service_key(service)
    requests = [ingest_request(server.url, first, "first") for _ in range(LIMITS["INGEST"] + EXTRA)]
    requests += [ingest_request(server.url, second, "second") for _ in range(LIMITS["INGEST"] + EXTRA)]
    answers = burst(requests)
    assert assert_limited_properly(answers[: len(answers) // 2]) == LIMITS["INGEST"]
    assert assert_limited_properly(answers[len(answers) // 2 :]) == LIMITS["INGEST"], "each key has its own limit"
    assert raw_count() == 2 * LIMITS["INGEST"], "a limited batch stores nothing"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_metrics_let_exactly_n_through_per_user_whatever_key_or_endpoint(server, fresh_counters, service, user):
    Request.objects.ingest(as_rows([{**record(), "created_at": utc_now() - timedelta(minutes=1)}]))
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=TenantFactory(name="Acme"))
    alice_keys = [user_key(user), user_key(user)]
    paths = ["/api/v1/metrics/aggregate", "/api/v1/metrics/aggregate/realtime", "/api/v1/metrics/filters"]
    alice = [
        (server.url, "GET", paths[i % 3], {"headers": {"X-API-Key": alice_keys[i % 2]}})
        for i in range(LIMITS["METRICS"] + EXTRA)
    ]
    bobs = [
        (server.url, "GET", paths[i % 3], {"headers": {"X-API-Key": user_key(bob)}})
        for i in range(LIMITS["METRICS"] + EXTRA)
    ]
    answers = burst(alice + bobs)
    assert assert_limited_properly(answers[: len(alice)]) == LIMITS["METRICS"]
    assert assert_limited_properly(answers[len(alice) :]) == LIMITS["METRICS"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_auth_test_lets_exactly_n_through_per_client_and_a_forged_forwarded_for_does_not_help(
    server, fresh_counters, user
):
    bob = UserFactory(username="bob")
    keys = [user_key(user), user_key(bob)]
    requests = [
        (
            server.url,
            "GET",
            "/api/v1/auth/test",
            {"headers": {"X-API-Key": keys[i % 2], "X-Forwarded-For": f"198.51.100.{i}"}},
        )
        for i in range(LIMITS["AUTH_TEST"] + EXTRA)
    ]
    assert assert_limited_properly(burst(requests)) == LIMITS["AUTH_TEST"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_auth_test_counts_each_client_behind_a_trusted_proxy(proxied_server, fresh_counters, user):
    key = user_key(user)
    requests = [
        (
            proxied_server.url,
            "GET",
            "/api/v1/auth/test",
            {"headers": {"X-API-Key": key, "X-Forwarded-For": f"203.0.113.{i % 2}"}},
        )
        for i in range(2 * (LIMITS["AUTH_TEST"] + EXTRA))
    ]
    answers = burst(requests)
    assert assert_limited_properly(answers[0::2]) == LIMITS["AUTH_TEST"]
    assert assert_limited_properly(answers[1::2]) == LIMITS["AUTH_TEST"]


def login_request(url, username, client_address):
    body = orjson.dumps({"username": username, "password": "wrong"})
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "X-Forwarded-For": client_address,
    }
    return (url, "POST", "/api/v1/auth/login", {"body": body, "headers": headers})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_login_lets_exactly_n_attempts_through_per_user_name_and_address(proxied_server, fresh_counters, user):
    names = ["alice", "ALICE", "Alice", "aLiCe"]
    requests = [login_request(proxied_server.url, names[i % 4], "192.0.2.1") for i in range(LIMITS["LOGIN"] + EXTRA)]
    requests += [login_request(proxied_server.url, "mallory", "192.0.2.1") for _ in range(LIMITS["LOGIN"])]
    answers = burst(requests)
    alice = answers[: LIMITS["LOGIN"] + EXTRA]
    assert assert_limited_properly(alice, allowed_status=401) == LIMITS["LOGIN"]
    assert assert_limited_properly(answers[len(alice) :], allowed_status=401) == LIMITS["LOGIN"], (
        "another user name has its own limit"
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_user_name_is_never_limited_by_attempts_from_other_addresses(proxied_server, fresh_counters, user):
    """Nobody can lock alice out: failing her name from elsewhere limits only those addresses."""
    requests = [login_request(proxied_server.url, "alice", f"192.0.2.{i}") for i in range(LIMITS["LOGIN"] + EXTRA)]
    assert assert_limited_properly(burst(requests), allowed_status=401) == LIMITS["LOGIN"] + EXTRA


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_login_lets_exactly_n_failures_through_per_address(proxied_server, fresh_counters, user):
    # Fewer extras than elsewhere: each attempt costs a password hash, and a bigger burst
    # of them outlasts the database pool's timeout on a busy two-core machine.
    requests = [
        login_request(proxied_server.url, f"user-{i}", "192.0.2.77") for i in range(LIMITS["AUTH_FAILURES"] + 3)
    ]
    assert assert_limited_properly(burst(requests), allowed_status=401) == LIMITS["AUTH_FAILURES"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_unknown_keys_let_exactly_n_failures_through_per_address_across_processes(
    server, fresh_counters, service, user
):
    guesses = [
        (server.url, "GET", "/api/v1/auth/test", {"headers": {"X-API-Key": f"malti_u_guess{i}"}})
        if i % 2
        else ingest_request(server.url, f"malti_s_guess{i}", "guess")
        for i in range(LIMITS["AUTH_FAILURES"] + EXTRA)
    ]
    assert assert_limited_properly(burst(guesses), allowed_status=401) == LIMITS["AUTH_FAILURES"]
    # Over the limit, a right key is not checked either: no answer tells a guesser it is right.
    status, headers, _ = send(server.url, "GET", "/api/v1/auth/test", headers={"X-API-Key": user_key(user)})
    assert status == 429 and int(headers["Retry-After"]) > 0
    url, method, path, kwargs = ingest_request(server.url, service_key(service), "right")
    assert send(url, method, path, **kwargs)[0] == 429
    assert raw_count() == 0


# --- client_ip: whom X-Forwarded-For is believed from -----------------------------------


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr} if remote_addr is not None else {}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/", **extra)
    if remote_addr is None:
        del request.META["REMOTE_ADDR"]
    return request


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.7", "203.0.113.5", "198.51.100.7"),  # no proxies configured: the header is ignored
        (["10.0.0.1"], "198.51.100.7", "203.0.113.5", "198.51.100.7"),  # sent straight to us, not via the proxy
        (["10.0.0.1"], "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "  ", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),  # forged left entry ignored
        (["10.0.0.0/8"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # every hop trusted
        (["10.0.0.0/8"], "10.0.0.1", "garbage, 203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.5,,10.0.0.9,", "203.0.113.5"),
        (["not-a-network", "10.0.0.1"], "10.0.0.1", "203.0.113.5", "203.0.113.5"),  # a bad entry is skipped
        (["::1"], "::1", "2001:db8::1", "2001:db8::1"),
        (["fd00::/8"], "fd00::5", "203.0.113.5, fd00::7", "203.0.113.5"),
        (["10.0.0.1"], "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # a neighbour of the proxy is not the proxy
        (["10.0.0.1"], None, "203.0.113.5", "unknown"),
        (["10.0.0.1"], "", "203.0.113.5", "unknown"),
    ],
)
def test_client_ip_believes_x_forwarded_for_only_from_trusted_proxies(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(request_from(remote, forwarded)) == expected
