"""Compliance, error budget and burn rates over controlled traffic, read from rollups and raw rows."""

from datetime import timedelta

import pytest

from objectives.health import apdex, burn_alerts, burn_rates, objectives_report
from objectives.models import ServiceObjectives
from tests.objectives.conftest import materialise, send

pytestmark = pytest.mark.django_db


def month_of_traffic(service, now):
    """10,000 requests 20 days ago: 5 server errors, 10 client errors, 50 slower than 1 s."""
    at = now - timedelta(days=20)
    send(service, [100] * 9935, at)
    send(service, [100] * 5, at, status=503)
    send(service, [100] * 10, at, status=404)
    send(service, [3000] * 50, at)
    return at


def report_of(service, now):
    [report] = objectives_report([service], now)
    return report


def test_the_budget_left_counts_server_errors_against_availability(service, now):
    month_of_traffic(service, now)
    availability = report_of(service, now)["availability"]
    # 99.9 % of 10,000 allows 10 bad requests; 5 were (404s are the caller's mistake).
    assert availability["objective"] == 99.9
    assert availability["compliance"] == 99.95
    assert (availability["bad_requests"], availability["budget_requests"]) == (5, 10)
    assert (availability["budget_left_requests"], availability["budget_left"]) == (5, 0.5)


def test_the_budget_left_counts_slow_requests_against_latency(service, now):
    month_of_traffic(service, now)
    latency = report_of(service, now)["latency"]
    # 99 % within 1,000 ms allows 100 slow requests; 50 were.
    assert (latency["objective"], latency["threshold_ms"]) == (99.0, 1000)
    assert latency["compliance"] == 99.5
    assert (latency["bad_requests"], latency["budget_requests"], latency["budget_left"]) == (50, 100, 0.5)


def test_an_overspent_budget_goes_negative(service, now):
    month_of_traffic(service, now)
    ServiceObjectives.objects.create(service=service, availability_objective="99.99")
    availability = report_of(service, now)["availability"]
    assert (availability["budget_requests"], availability["budget_left_requests"]) == (1, -4)
    assert availability["budget_left"] == -4.0


def test_traffic_older_than_30_days_does_not_count(service, now):
    send(service, [100] * 10, now - timedelta(days=31), status=500)
    send(service, [100] * 1000, now - timedelta(days=2))
    report = report_of(service, now)
    assert report["total_requests"] == 1000
    assert report["availability"]["budget_left"] == 1.0


@pytest.mark.django_db(transaction=True)
def test_the_figures_are_the_same_once_rolled_up(service, now):
    at = month_of_traffic(service, now)
    before = report_of(service, now)
    materialise(at - timedelta(hours=1), now)
    assert report_of(service, now) == before


def burning(service, now):
    """100 requests 2 minutes ago, 10 of them 503s, and 400 good ones 40 minutes ago."""
    send(service, [100] * 90, now - timedelta(minutes=2))
    send(service, [100] * 10, now - timedelta(minutes=2), status=503)
    send(service, [100] * 400, now - timedelta(minutes=40))


def test_burn_rates_are_each_windows_bad_share_over_the_allowed_share(service, now):
    burning(service, now)
    rates = burn_rates(service, now)
    # 10 bad of 100 in the last 5 and 30 minutes, 10 of 500 in the last hour and 6 hours; 0.1 % allowed.
    assert rates["availability"] == {"5m": 100.0, "30m": 100.0, "1h": 20.0, "6h": 20.0}
    assert rates["latency"] == {"5m": 0.0, "30m": 0.0, "1h": 0.0, "6h": 0.0}


def test_a_fast_and_a_slow_burn_fire_when_both_their_windows_burn(service, now):
    burning(service, now)
    alerts = {(a.objective, a.speed): (a.long_rate, a.short_rate, a.threshold) for a in burn_alerts(service, now)}
    assert alerts == {("availability", "fast"): (20.0, 100.0, 14.4), ("availability", "slow"): (20.0, 100.0, 6.0)}


def test_a_short_spike_alone_does_not_fire(service, now):
    burning(service, now)
    send(service, [100] * 2000, now - timedelta(minutes=50))
    # The last 5 minutes still burn at 100, but the hour at 10 / 2,500 / 0.1 % = 4.
    assert burn_rates(service, now)["availability"]["1h"] == 4.0
    assert burn_alerts(service, now) == []


def test_slow_requests_burn_the_latency_budget(service, now):
    send(service, [100] * 80 + [5000] * 20, now - timedelta(minutes=10))
    rates = burn_rates(service, now)["latency"]
    # 20 % slow against 1 % allowed: 20 in the half hour, hour and 6 hours; nothing in the last 5 minutes.
    assert rates == {"5m": None, "30m": 20.0, "1h": 20.0, "6h": 20.0}
    assert [(a.objective, a.speed) for a in burn_alerts(service, now)] == [("latency", "slow")]


def test_apdex_over_a_scope_uses_each_services_target_and_filters(tenant, service, now):
    other = service.__class__.objects.create(name="billing", tenant=tenant)
    ServiceObjectives.objects.create(service=other, apdex_t_ms=2000)
    at = now - timedelta(minutes=3)
    send(service, [100, 1000, 3000], at)
    send(other, [100, 1000, 3000], at)
    send(other, [5000], at, endpoint="/slow")
    window = (now - timedelta(minutes=5), now)
    assert apdex([service], *window) == (0.5, 3)
    # checkout (T 500): 1 satisfied, 1 tolerating; billing (T 2000): 2 satisfied, 2 tolerating.
    assert apdex([service, other], *window) == (round((1.5 + 3) / 7, 4), 7)
    assert apdex([other], *window, filters={"endpoint": "/slow"}) == (0.5, 1)
    assert apdex([other], now - timedelta(days=1), now - timedelta(hours=1)) == (None, 0)
