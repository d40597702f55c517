"""Apdex in the metrics response: exact away from histogram slot edges, within the stated bound near them."""

import math
import random
from datetime import timedelta

import pytest

from objectives.apdex import apdex_score, at_most
from objectives.models import ServiceObjectives
from telemetry.metrics import build_response, parse
from telemetry.rollups.histogram import STORED_SLOTS, slot_of
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory
from tests.objectives.conftest import send

pytestmark = pytest.mark.django_db

# T = 500 ms: slot 73 holds 487..529 ms and 4T's slot 90 holds 1927..2099 ms (histogram.py's bounds).
SATISFIED, TOLERATING, FRUSTRATED = [40, 100, 300, 450], [600, 900, 1500, 1900], [2300, 5000, 70_000]


def histogram_of(latencies):
    counts = [0] * len(STORED_SLOTS)
    for ms in latencies:
        counts[slot_of(ms) - 1] += 1
    return counts


def true_apdex(latencies, t_ms):
    satisfied = sum(ms <= t_ms for ms in latencies)
    tolerating = sum(t_ms < ms <= 4 * t_ms for ms in latencies)
    return round((satisfied + tolerating / 2) / len(latencies), 4)  # as the API rounds it


def response(now, visible, **params):
    scope = parse({"start_time": (now - timedelta(hours=1)).isoformat(), "end_time": now.isoformat(), **params}, now)
    return build_response(scope, visible)


def visible_of(*services):
    return {service.telemetry_key: service.name for service in services}


def test_a_limit_on_a_slot_edge_counts_exactly():
    latencies = [480, 486, 487, 500, 529, 530]
    # 486 and 529 are the last whole milliseconds of their slots.
    assert at_most(histogram_of(latencies), 486) == 2
    assert at_most(histogram_of(latencies), 529) == 5


def test_the_straddling_slot_counts_pro_rata_within_its_count():
    latencies = [487, 490, 529]  # all in the slot holding 487..529 ms
    estimate = at_most(histogram_of(latencies), 500)
    assert estimate == pytest.approx(3 * (500 - 487 + 1) / (529 - 487 + 1))
    true = sum(ms <= 500 for ms in latencies)
    assert abs(estimate - true) <= 3


def test_min_and_max_make_a_one_sided_group_exact():
    latencies = [488, 495, 499]
    # The group's max is within T: all satisfied, though their slot straddles T.
    assert apdex_score(histogram_of(latencies), 500, min(latencies), max(latencies)) == 3


@pytest.mark.parametrize("seed", range(20))
def test_the_estimate_stays_within_the_bound_on_any_spread_of_latencies(seed):
    generator = random.Random(seed)
    mu, sigma = generator.uniform(math.log(20), math.log(3000)), generator.uniform(0.2, 1.5)
    latencies = [int(generator.lognormvariate(mu, sigma)) for _ in range(2000)]
    t_ms = generator.choice([100, 250, 500, 1000, 2000])
    histogram = histogram_of(latencies)
    estimate = apdex_score(histogram, t_ms, min(latencies), max(latencies)) / len(latencies)
    exact = (sum(ms <= t_ms for ms in latencies) + sum(t_ms < ms <= 4 * t_ms for ms in latencies) / 2) / 2000
    bound = (histogram[slot_of(t_ms) - 1] + histogram[slot_of(4 * t_ms) - 1]) / (2 * len(latencies))
    assert abs(estimate - exact) <= bound


def test_apdex_is_exact_away_from_slot_edges(service, recently, now):
    latencies = SATISFIED * 3 + TOLERATING * 2 + FRUSTRATED
    send(service, latencies, recently)
    body = response(now, visible_of(service))
    expected = round(true_apdex(latencies, 500), 4)
    assert body["metrics_summary"]["apdex"] == expected
    assert [s["apdex"] for s in body["system_overview"]["services"]] == [expected]
    assert [e["apdex"] for e in body["endpoints"]] == [expected]
    points = [p for p in body["time_series"] if p["total_requests"]]
    assert [p["apdex"] for p in points] == [expected]
    assert all(p["apdex"] is None for p in body["time_series"] if not p["total_requests"])


def test_apdex_near_the_target_is_within_the_stated_bound(service, recently, now):
    # Around T (487..529 ms share a slot) and 4T (1927..2099 ms share one).
    near = [488, 495, 500, 501, 510, 528, 1930, 1999, 2000, 2001, 2090]
    latencies = near + SATISFIED + FRUSTRATED
    send(service, latencies, recently)
    apdex = response(now, visible_of(service))["metrics_summary"]["apdex"]
    in_edge_slots = sum(slot_of(ms) in (slot_of(500), slot_of(2000)) for ms in latencies)
    bound = in_edge_slots / (2 * len(latencies))
    assert abs(apdex - true_apdex(latencies, 500)) <= bound + 1e-4
    assert apdex != round(true_apdex(latencies, 500), 4)  # (an estimate here: the test sees the bound matter)


def test_each_service_is_judged_by_its_own_target(tenant, recently, now):
    fast = ServiceFactory(name="fast", tenant=tenant)
    slow = ServiceFactory(name="slow", tenant=tenant)
    ServiceObjectives.objects.create(service=slow, apdex_t_ms=2000)
    latencies = [100, 300, 1000, 1500, 3000]
    for service in (fast, slow):
        send(service, latencies, recently)
    services = {s["service"]: s["apdex"] for s in response(now, visible_of(fast, slow))["system_overview"]["services"]}
    assert services == {"fast": true_apdex(latencies, 500), "slow": true_apdex(latencies, 2000)}


def test_services_with_different_targets_combine_by_their_counts(tenant, recently, now):
    fast = ServiceFactory(name="fast", tenant=tenant)
    slow = ServiceFactory(name="slow", tenant=tenant)
    ServiceObjectives.objects.create(service=slow, apdex_t_ms=100)
    fast_latencies, slow_latencies = [100, 300, 1000, 3000], [40, 300, 300, 1000, 1000, 1000]
    send(fast, fast_latencies, recently)
    send(slow, slow_latencies, recently, endpoint="/pay")
    body = response(now, visible_of(fast, slow))
    # fast (T 500): 2 satisfied, 1 tolerating of 4; slow (T 100): 1 satisfied, 2 tolerating of 6.
    expected = round((2 + 1 / 2 + 1 + 2 / 2) / 10, 4)
    assert body["metrics_summary"]["apdex"] == expected
    assert [p["apdex"] for p in body["time_series"] if p["total_requests"]] == [expected]
    by_endpoint = {e["endpoint"]: e["apdex"] for e in body["endpoints"]}
    assert by_endpoint == {"/orders": true_apdex(fast_latencies, 500), "/pay": true_apdex(slow_latencies, 100)}
    # Filtered to one service, the bucket is that service's alone.
    one = response(now, visible_of(fast, slow), service="slow")
    assert one["metrics_summary"]["apdex"] == true_apdex(slow_latencies, 100)


def test_same_named_services_of_two_tenants_combine_by_counts(tenant, user, recently, now):
    other = TenantFactory(name="Globex")
    MembershipFactory(user=user, tenant=other)
    ours = ServiceFactory(name="api", tenant=tenant)
    theirs = ServiceFactory(name="api", tenant=other)
    ServiceObjectives.objects.create(service=theirs, apdex_t_ms=1000)
    send(ours, [100, 1500], recently)
    send(theirs, [100, 1500, 5000], recently)
    body = response(now, visible_of(ours, theirs))
    expected = round((true_apdex([100, 1500], 500) * 2 + true_apdex([100, 1500, 5000], 1000) * 3) / 5, 4)
    assert [s["apdex"] for s in body["system_overview"]["services"]] == [expected]


def test_the_default_target_comes_from_the_setting(service, recently, now, settings):
    settings.MALTI_APDEX_DEFAULT_T_MS = 1000
    send(service, [100, 1500, 3000, 5000], recently)
    assert response(now, visible_of(service))["metrics_summary"]["apdex"] == true_apdex([100, 1500, 3000, 5000], 1000)


def test_apdex_is_null_without_requests(service, now):
    body = response(now, visible_of(service))
    assert body["metrics_summary"]["apdex"] is None
    assert all(point["apdex"] is None for point in body["time_series"])
