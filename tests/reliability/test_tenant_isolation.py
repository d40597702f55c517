"""A user of tenant A gets nothing of tenant B on any read path, whatever they send; keys of A
cannot write B's data. (tests/telemetry/test_metrics_api.py covers the plain filters.)"""

import gzip
import json
from datetime import timedelta

import orjson
import pytest
from django.db import connection

from accounts.models import ApiKey
from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import post_batch, record, refresh_rollups, utc_now
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key
from tests.telemetry.helpers import raw_count

pytestmark = pytest.mark.django_db

AGGREGATE = "/api/v1/metrics/aggregate"
REALTIME = "/api/v1/metrics/aggregate/realtime"
FILTERS = "/api/v1/metrics/filters"
METRICS_PATHS = (AGGREGATE, REALTIME, FILTERS)
B_MARKERS = ("billing", "globex", "payroll")
DIMENSIONS = ("node", "method", "endpoint", "consumer", "context")


def stored_as(records, keys):
    """The records as ingest stores them: the service under its telemetry key (nodes keep the name)."""
    return [{**r, "service": keys[r["service"]]} for r in records]


def globex_records(model, count, start, end):
    """Tenant B's traffic, every value of it recognisable."""
    records = model.records(count, start, end)
    for r in records:
        r["endpoint"] = "/globex" + r["endpoint"]
        r["consumer"] = "globex-" + r["consumer"]
        r["context"] = "globex-" + r["context"]
    return records


@pytest.fixture
def api():
    """A client that returns a 500 as a response rather than raising the view's exception."""
    from rest_framework.test import APIClient

    return APIClient(raise_request_exception=False)


@pytest.fixture
def world(tenant, user, service):
    """Acme: alice, service checkout. Globex: bob, services billing and payroll. Rolled up, plus a raw tail.

    Rows are stored as ingest stores them, under each service's telemetry key: `keys` maps names to them.
    """
    globex = TenantFactory(name="Globex")
    services = [service, ServiceFactory(name="billing", tenant=globex), ServiceFactory(name="payroll", tenant=globex)]
    keys = {s.name: s.telemetry_key for s in services}
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=globex)
    now = utc_now()
    acme_model = TrafficModel(services=["checkout"], endpoints_per_service=5, consumers=6, seed=1)
    globex_model = TrafficModel(services=["billing", "payroll"], endpoints_per_service=5, consumers=6, seed=2)
    for start, end, count in ((now - timedelta(hours=5), now - timedelta(minutes=3), 400),):
        Request.objects.ingest(as_rows(stored_as(acme_model.records(count, start, end), keys)))
        Request.objects.ingest(as_rows(stored_as(globex_records(globex_model, count, start, end), keys)))
    refresh_rollups()
    # A tail no refresh has seen, after the watermark (the current minute): read
    # from raw rows. (A late record before the watermark waits for the next refresh.)
    tail = (utc_now().replace(second=0, microsecond=0), utc_now())
    Request.objects.ingest(as_rows(stored_as(acme_model.records(40, *tail), keys)))
    Request.objects.ingest(as_rows(stored_as(globex_records(globex_model, 40, *tail), keys)))
    return {"bob": bob, "keys": keys}


def truth(start, end, services, filters) -> int:
    """How many raw rows of `services` (telemetry keys) match `filters` in [start, end)."""
    clause = "".join(f" AND {dim} = %s" for dim in filters)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM requests WHERE created_at >= %s AND created_at < %s AND service = ANY(%s){clause}",
            [start, end, list(services), *filters.values()],
        )
        return cursor.fetchone()[0]


SQL_LOOKING = [
    "checkout' OR '1'='1",
    "billing'--",
    "x' OR service='billing",
    "') UNION SELECT service, node FROM requests --",
    "%",
    "*",
    "checkout; DROP TABLE requests",
    "$$billing$$",
    "billing\\",
]
FILTER_CASES = [
    {},
    {"service": "billing"},
    {"service": "payroll", "consumer": "globex-consumer-000"},
    {"service": "BILLING"},
    {"service": " billing"},
    {"node": "billing-node-1"},
    {"node": "billing-node-1", "service": "checkout"},
    {"endpoint": "/globex/api/orders"},
    {"consumer": "globex-consumer-000"},
    {"context": "globex-web"},
    {"method": "get", "service": "billing"},
    {"endpoint": "/api/orders"},  # Acme has it too: Acme's count only
    *[{"service": value} for value in SQL_LOOKING],
    *[{dim: value} for dim in DIMENSIONS for value in SQL_LOOKING[:4]],
    {"endpoint": "e" * 500},
    {"consumer": "globex-" + "c" * 493},
]


def authenticate(api, how, user):
    if how == "key":
        api.credentials(HTTP_X_API_KEY=user_key(user))
    else:
        api.force_login(user)
    return api


def leaks(body) -> list[str]:
    text = json.dumps(body).lower()
    return [marker for marker in B_MARKERS if marker in text]


@pytest.mark.parametrize("how", ["key", "session"])
@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_metrics_never_show_another_tenants_data_and_count_exactly_ones_own(api, world, user, how, path):
    authenticate(api, how, user)
    failures = []
    for filters in FILTER_CASES:
        response = api.get(path, filters)
        sent = {dim: value for dim, value in filters.items() if dim != "service"}
        if response.status_code != 200:
            failures.append((filters, response.status_code, response.content[:200]))
            continue
        body = response.json()
        if leaks(body):
            failures.append((filters, "leaks", leaks(body)))
        service = filters.get("service")
        visible = [world["keys"]["checkout"]] if service in (None, "checkout") else []
        start, end = body["start_time"], body["end_time"]
        if "method" in sent:
            sent["method"] = sent["method"].upper()
        expected = truth(start, end, visible, sent)
        if body["metrics_summary"]["total_requests"] != expected:
            failures.append((filters, "count", body["metrics_summary"]["total_requests"], expected))
        if sum(point["total_requests"] for point in body["time_series"]) != expected:
            failures.append((filters, "series", expected))
        if {s["service"] for s in body["system_overview"]["services"]} - {"checkout"}:
            failures.append((filters, "services", body["system_overview"]["services"]))
    assert not failures, failures


@pytest.mark.parametrize("how", ["key", "session"])
def test_filter_values_never_list_another_tenants_values(api, world, user, how):
    authenticate(api, how, user)
    everything = api.get(FILTERS).json()
    assert everything["services"] == ["checkout"]
    for filters in FILTER_CASES:
        response = api.get(FILTERS, filters)
        assert response.status_code == 200, (filters, response.content[:200])
        values = response.json()
        assert not leaks(values), (filters, values)
        for name, listed in values.items():
            assert set(listed) <= set(everything[name]), (filters, name)


@pytest.mark.parametrize("how", ["key", "session"])
@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/auth/test"])
def test_services_and_who_am_i_ignore_any_filter(api, world, user, how, path, settings):
    settings.RATELIMIT_ENABLE = False
    authenticate(api, how, user)
    for filters in FILTER_CASES + [{"tenant": "Globex"}, {"user": "bob"}, {"tenant_id": "2"}]:
        response = api.get(path, filters)
        assert response.status_code == 200
        body = response.json()
        assert not leaks(body), (filters, body)
        if path == "/api/v1/services":
            assert [s["name"] for s in body["services"]] == ["checkout"]
        else:
            assert body["user"]["name"] == "alice" and body["user"]["tenants"] == ["Acme"]


@pytest.mark.parametrize("path", METRICS_PATHS + ("/api/v1/services",))
def test_a_superuser_without_a_membership_sees_no_tenants_data(api, world, path):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    response = api.get(path, HTTP_X_API_KEY=user_key(root))
    assert response.status_code == 200
    assert not leaks(response.json())
    assert "checkout" not in json.dumps(response.json())


def test_a_user_of_both_tenants_sees_both(api, world, user):
    MembershipFactory(user=user, tenant=TenantFactory(name="Globex"))
    body = api.get(AGGREGATE, HTTP_X_API_KEY=user_key(user)).json()
    assert {s["service"] for s in body["system_overview"]["services"]} == {"checkout", "billing", "payroll"}


def test_removing_a_membership_takes_effect_on_the_next_request(api, world, user):
    key = user_key(user)
    assert api.get("/api/v1/services", HTTP_X_API_KEY=key).json()["services"]
    user.memberships.all().delete()
    assert api.get("/api/v1/services", HTTP_X_API_KEY=key).json()["services"] == []


@pytest.mark.parametrize("path", METRICS_PATHS + ("/api/v1/services", "/api/v1/auth/test"))
def test_keys_that_cannot_read_get_nothing(api, world, user, service, path):
    revoked, revoked_raw = ApiKey.issue(user=user)
    revoked.revoke()
    expired = user_key(user, expires_at=utc_now() - timedelta(seconds=1))
    for key, status in ((service_key(service), 403), (revoked_raw, 401), (expired, 401), ("malti_u_" + "x" * 40, 401)):
        response = api.get(path, {"service": "billing"}, HTTP_X_API_KEY=key)
        assert response.status_code == status, (key[:10], response.content)
        assert not leaks(response.json())


# --- writes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "records",
    [
        [record(service="billing")],
        [record(), record(service="billing")],
        [record(service="billing\x00")],
        [record(service="\tbilling ")],
        [record(service="payroll")] * 50,
    ],
    ids=["one", "mixed", "nul-suffix", "padded", "fifty"],
)
@pytest.mark.parametrize("gzip_body", [False, True], ids=["plain", "gzip"])
def test_a_service_key_of_a_cannot_write_bs_services(api, world, service_api_key, records, gzip_body):
    response = post_batch(api, service_api_key, records, gzip_body=gzip_body)
    assert response.status_code == 403
    assert "may only ingest for 'checkout'" in response.json()["detail"]
    assert counts(world) == (440, 440)


def counts(world) -> tuple[int, int]:
    """Raw rows stored for Acme's checkout and for Globex's billing and payroll."""
    keys = world["keys"]
    return raw_count(keys["checkout"]), raw_count(keys["billing"]) + raw_count(keys["payroll"])


def test_another_tenants_idempotency_key_is_not_replayed_to_a(api, world, service_api_key):
    billing_key = service_key(ServiceFactory(name="billing", tenant=TenantFactory(name="Globex")))
    first = post_batch(api, billing_key, [record(service="billing")], HTTP_IDEMPOTENCY_KEY="shared-1")
    assert first.status_code == 200
    mine = post_batch(api, service_api_key, [record(), record()], HTTP_IDEMPOTENCY_KEY="shared-1")
    assert mine.status_code == 200 and mine.json()["service"] == "checkout" and mine.json()["count"] == 2
    assert "Idempotent-Replayed" not in mine.headers
    other_body = post_batch(api, service_api_key, [record(status=500)], HTTP_IDEMPOTENCY_KEY="shared-1")
    assert other_body.status_code == 409  # the key is now Acme's own, for its first body
    assert counts(world) == (440 + 2, 440 + 1)


def test_a_namesake_service_in_another_tenant_writes_and_reads_only_its_own_records(api, world, user):
    """Two customers may each have a `checkout`: one name, two telemetry keys, two histories."""
    theirs = ServiceFactory(name="checkout", tenant=TenantFactory(name="Globex"))
    response = post_batch(api, service_key(theirs), [record()] * 3)
    assert response.status_code == 200 and response.json()["service"] == "checkout"
    assert raw_count(theirs.telemetry_key) == 3 and counts(world) == (440, 440)
    refresh_rollups()

    def overview(who):
        body = api.get(AGGREGATE, HTTP_X_API_KEY=user_key(who)).json()
        return {s["service"]: s["total_requests"] for s in body["system_overview"]["services"]}

    globex = {name: raw_count(world["keys"][name]) for name in ("billing", "payroll")}
    assert overview(user) == {"checkout": 440}
    assert overview(world["bob"]) == {"checkout": 3, **globex}


def test_a_user_key_of_a_cannot_ingest_at_all(api, world, user):
    before = raw_count()
    key = user_key(user)
    for records in ([record()], [record(service="billing")]):
        body = orjson.dumps({"requests": records})
        for payload, headers in ((body, {}), (gzip.compress(body), {"HTTP_CONTENT_ENCODING": "gzip"})):
            response = post_batch(api, key, None, raw_body=payload, **headers)
            assert response.status_code == 403
            assert "service API key" in response.json()["detail"]
    assert raw_count() == before


def test_a_dashboard_session_cannot_ingest(api, world, user):
    api.force_login(user)
    response = post_batch(api, None, [record()])
    assert response.status_code == 401
    assert counts(world) == (440, 440)


def test_a_users_key_cannot_be_passed_off_as_a_service_key_by_its_prefix(api, world, user):
    raw = user_key(user)
    forged = "malti_s_" + raw.split("_", 2)[2]
    assert post_batch(api, forged, [record()]).status_code == 401
