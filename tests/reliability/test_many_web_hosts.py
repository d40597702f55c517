"""Several Malti servers behind one address share what must be shared: a rate limit counts
the requests of all of them (Redis), a session started on one holds on the others and ends
on all (the database), and what one stores the others read.

Three gunicorn instances, each its own master process as each container would be, bind the
same loopback port with SO_REUSEPORT (--reuse-port), so the kernel hands every new connection
to one of them, as Caddy hands requests to the web containers. Each request opens a new
connection; which instance served it is read from the instances' access logs, which uvicorn
writes before it sends the answer.
"""

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import redis

from tests.conftest import record
from tests.factories import service_key, user_key
from tests.live_tenant import committed_tenant, recent_metrics, refresh_for_server
from tests.reliability.conftest import free_port, live_server

INSTANCES = 3
AUTH_TEST_LIMIT = 5  # per hour, so the test never straddles a window
# The servers' own Redis database, emptied before each test.
REDIS_URL = "redis://127.0.0.1:6379/13"
# A request misses a given instance with probability 2/3: 40 requests leave one out about once in 10^6 runs.
MAX_REQUESTS = 40
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
CSRF = "c" * 32  # any 32 letters and digits: Django compares the cookie with the header
T = TypeVar("T")
# The database mark has the test database created; what the servers read is committed by the fixtures.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


class Instances:
    """The servers behind the shared address, and which of them served each request."""

    def __init__(self, url: str, access_logs: list[Path]):
        # No keep-alive: a new connection per request, for the kernel to place anew.
        self.http = httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
        self.access_logs = access_logs
        self.read_up_to = [log.stat().st_size for log in access_logs]

    def served_by(self, method: str, path: str) -> int:
        """The instance that logged the one request sent since the last call."""
        new_lines = [self._new_lines(index) for index in range(len(self.access_logs))]
        logged = [(index, line) for index, lines in enumerate(new_lines) for line in lines]
        assert len(logged) == 1, f"expected one request in the access logs, found {logged}"
        ((index, line),) = logged
        assert f'"{method} {path}' in line, line
        return index

    def request(self, method: str, path: str, **kwargs) -> tuple[httpx.Response, int]:
        response = self.http.request(method, path, **kwargs)
        return response, self.served_by(method, path)

    def until_each_answered(self, send: Callable[[], T], method: str, path: str) -> list[tuple[T, int]]:
        """send() (one request to method and path) again and again until every instance has answered it."""
        answers = []
        while {index for _, index in answers} != set(range(INSTANCES)):
            assert len(answers) < MAX_REQUESTS, f"{MAX_REQUESTS} requests never reached every instance"
            answers.append((send(), self.served_by(method, path)))
        return answers

    def _new_lines(self, index: int) -> list[str]:
        with self.access_logs[index].open("rb") as log:
            log.seek(self.read_up_to[index])
            text = log.read()
        self.read_up_to[index] += len(text)
        return text.decode().splitlines()


@pytest.fixture(scope="module")
def acme(django_db_setup, django_db_blocker):
    """(service name, service key, user, user key), committed for the servers to see."""
    with committed_tenant(django_db_blocker, "Acme", ("checkout",), "alice") as (_, services, alice):
        with django_db_blocker.unblock():
            yield "checkout", service_key(services["checkout"]), alice, user_key(alice)


@pytest.fixture(scope="module")
def servers(acme, tmp_path_factory):
    """The shared address and each instance's access log."""
    shared = f"127.0.0.1:{free_port()}"
    env = {
        "MALTI_REDIS_URL": REDIS_URL,
        "MALTI_RATELIMIT_ENABLE": "1",
        "MALTI_RATELIMIT_AUTH_TEST": f"{AUTH_TEST_LIMIT}/h",
    }
    logs = []
    with ExitStack() as stack:
        for number in range(INSTANCES):
            folder = tmp_path_factory.mktemp(f"instance-{number}")
            logs.append(folder / "access.log")
            # Each also listens on a port of its own, where live_server sees that this one is up.
            args = ("-b", shared, "--access-logfile", str(logs[-1]))
            stack.enter_context(live_server(folder, workers=1, gunicorn_args=args, **env))
        yield f"http://{shared}", logs


@pytest.fixture
def instances(servers):
    redis.Redis.from_url(REDIS_URL).flushdb()
    url, logs = servers
    instances = Instances(url, logs)
    with instances.http:
        yield instances


def test_a_rate_limit_counts_the_requests_every_instance_served(instances, acme):
    _, _, _, key = acme
    answers = []
    while len(answers) <= AUTH_TEST_LIMIT or {index for _, index in answers} != set(range(INSTANCES)):
        assert len(answers) < MAX_REQUESTS, f"{MAX_REQUESTS} requests never reached every instance"
        answers.append(instances.request("GET", "/api/v1/auth/test", headers={"X-API-Key": key}))
    # Counted per instance, each would let up to the limit through itself: once every instance
    # has served one and more requests than the limit were sent, more than the limit would pass.
    statuses = [response.status_code for response, _ in answers]
    assert statuses == [200] * AUTH_TEST_LIMIT + [429] * (len(answers) - AUTH_TEST_LIMIT)


def test_a_session_started_on_one_instance_holds_on_the_others_and_ends_on_all(instances, acme):
    service, _, alice, _ = acme
    csrf = {"Cookie": f"csrftoken={CSRF}", "X-CSRFToken": CSRF}
    login, logged_in_on = instances.request(
        "POST", "/api/v1/auth/login", json={"username": alice.username, "password": PASSWORD}, headers=csrf
    )
    assert login.status_code == 200, login.text
    session = {"Cookie": f"sessionid={login.cookies['sessionid']}"}

    def services():
        return instances.http.get("/api/v1/services", headers=session)

    answers = instances.until_each_answered(services, "GET", "/api/v1/services")
    assert {index for _, index in answers} - {logged_in_on}, "no other instance was asked"
    for response, _ in answers:
        assert response.status_code == 200, response.text
        assert [entry["name"] for entry in response.json()["services"]] == [service]

    token = login.cookies["csrftoken"]  # Django gives a new one at login
    logout, _ = instances.request(
        "POST",
        "/api/v1/auth/logout",
        headers={"Cookie": f"sessionid={login.cookies['sessionid']}; csrftoken={token}", "X-CSRFToken": token},
    )
    assert logout.status_code == 204, logout.text
    for response, _ in instances.until_each_answered(services, "GET", "/api/v1/services"):
        assert response.status_code in (401, 403), response.text


def test_what_one_instance_stores_every_instance_reads(instances, acme, django_db_blocker):
    service, ingest_key, _, read_key = acme
    batch = {"requests": [record(service=service, endpoint=f"/orders/{n}") for n in range(7)]}
    stored, stored_on = instances.request("POST", "/api/v1/ingest", json=batch, headers={"X-API-Key": ingest_key})
    assert stored.status_code == 200, stored.text
    refresh_for_server(django_db_blocker)

    answers = instances.until_each_answered(
        lambda: recent_metrics(instances.http, read_key, service), "GET", "/api/v1/metrics/aggregate"
    )
    assert {index for _, index in answers} - {stored_on}, "no other instance was asked"
    for metrics, _ in answers:
        assert metrics["metrics_summary"]["total_requests"] == len(batch["requests"])
