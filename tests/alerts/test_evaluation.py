"""Evaluation with a controlled clock: every transition, for, min_requests, silences, mutes, restarts."""

import hashlib
import hmac
from datetime import timedelta

import pytest

from alerts.delivery import deliver_due
from alerts.evaluation import Evaluator, evaluate
from alerts.models import AlertEvent, AlertState, Delivery, Silence
from tests.alerts.conftest import make_rule, send_traffic
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def transitions(rule) -> list[tuple[str, str]]:
    return [(e.from_state, e.to_state) for e in rule.events.order_by("at", "id")]


def state_of(rule, node=None) -> AlertState:
    return rule.states.get(node=node)


def test_a_rule_goes_from_ok_through_pending_and_firing_to_resolved_notifying_twice(now, checkout, webhook, receiver):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10, for_minutes=2)
    send_traffic(checkout, now.moment - timedelta(minutes=5), minutes=5, per_minute=10, status=200)
    evaluate()
    assert state_of(rule).state == "ok" and state_of(rule).last_value == 0

    now.advance(minutes=1)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=20, status=503)
    evaluate()
    assert state_of(rule).state == "pending"
    assert state_of(rule).last_value == pytest.approx(100 * 20 / 60, abs=0.01)

    now.advance(minutes=1)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=20, status=503)
    evaluate()
    assert state_of(rule).state == "pending"  # held 1 minute of the 2 it must

    now.advance(minutes=1)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=20, status=503)
    evaluate()
    assert state_of(rule).state == "firing"
    assert Delivery.objects.count() == 1
    assert deliver_due().delivered == 1

    now.advance(minutes=6)
    send_traffic(checkout, now.moment - timedelta(minutes=5), minutes=5, per_minute=10, status=200)
    evaluate()
    assert state_of(rule).state == "ok"
    assert transitions(rule) == [("ok", "pending"), ("pending", "firing"), ("firing", "resolved")]
    assert deliver_due().delivered == 1
    assert [body["event"] for body in receiver.bodies] == ["firing", "resolved"]
    assert receiver.bodies[0]["service"] == "checkout" and receiver.bodies[0]["rule"]["id"] == rule.id


def test_each_delivery_is_signed_with_the_channels_secret_over_timestamp_and_body(now, checkout, webhook, receiver):
    make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, status=500)
    evaluate()
    deliver_due()
    (headers, body) = receiver.received[0]
    expected = hmac.new(b"s3cret-hmac-key", headers["X-Malti-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Malti-Signature"] == f"sha256={expected.hexdigest()}"
    assert headers["X-Malti-Event"] == "firing"
    wrong = hmac.new(b"another-key", headers["X-Malti-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Malti-Signature"] != f"sha256={wrong.hexdigest()}"


def test_a_condition_that_clears_while_pending_returns_to_ok_without_notifying(now, checkout, webhook):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10, for_minutes=5)
    send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
    evaluate()
    now.advance(minutes=6)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, status=200)
    evaluate()
    assert transitions(rule) == [("ok", "pending"), ("pending", "ok")]
    assert not Delivery.objects.exists()


def test_min_requests_keeps_a_few_failed_requests_from_paging(now, checkout, webhook):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10, min_requests=20)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=3, status=500)
    evaluate()
    assert state_of(rule).state == "ok" and state_of(rule).last_value == 100
    now.advance(minutes=1)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=30, status=500)
    evaluate()
    assert state_of(rule).state == "firing"


def test_latency_and_apdex_rules_read_the_histograms(now, checkout):
    p95 = make_rule(checkout.tenant, service=checkout, metric="p95_latency", threshold=500)
    apdex = make_rule(checkout.tenant, service=checkout, metric="apdex_below", threshold=0.9)
    server_errors = make_rule(checkout.tenant, service=checkout, metric="server_error_rate", threshold=1)
    send_traffic(checkout, now.moment - timedelta(minutes=1), per_minute=20, response_time=900, status=404)
    evaluate()
    assert state_of(p95).state == "firing" and state_of(p95).last_value == pytest.approx(900, rel=0.05)
    # 900 ms with T = 500 ms: tolerating (<= 4T), so Apdex is 0.5.
    assert state_of(apdex).state == "firing" and state_of(apdex).last_value == pytest.approx(0.5, abs=0.01)
    assert state_of(server_errors).state == "ok"  # 404s are errors, not server errors


def test_request_rate_rules_compare_requests_per_minute(now, checkout):
    above = make_rule(checkout.tenant, service=checkout, metric="request_rate_above", threshold=10, window_minutes=2)
    below = make_rule(checkout.tenant, service=checkout, metric="request_rate_below", threshold=50, window_minutes=2)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, per_minute=30)
    evaluate()
    assert state_of(above).last_value == 30 and state_of(above).state == "firing"
    assert state_of(below).state == "firing"


def test_silence_fires_for_a_service_that_stopped_and_never_for_one_that_never_sent(now, checkout, webhook, receiver):
    never = ServiceFactory(name="not-deployed-yet", tenant=checkout.tenant)
    rule = make_rule(checkout.tenant, [webhook], name="dead service", metric="silence", window_minutes=5)
    send_traffic(checkout, now.moment - timedelta(minutes=8), minutes=2)
    evaluate()
    assert state_of(rule).state == "firing" and state_of(rule).service == checkout
    assert not rule.states.filter(service=never).exists()
    now.advance(minutes=1)
    send_traffic(checkout, now.moment - timedelta(seconds=30), per_minute=1)
    evaluate()
    assert state_of(rule).state == "ok"
    deliver_due()
    assert [(b["event"], b["service"]) for b in receiver.bodies] == [("firing", "checkout"), ("resolved", "checkout")]


def test_a_per_node_silence_rule_fires_for_the_node_that_stopped_only(now, checkout):
    rule = make_rule(checkout.tenant, service=checkout, name="node down", metric="silence", node="*", window_minutes=3)
    send_traffic(checkout, now.moment - timedelta(minutes=10), minutes=10, node="node-1")
    send_traffic(checkout, now.moment - timedelta(minutes=10), minutes=5, node="node-2")
    evaluate()
    assert state_of(rule, "node-1").state == "ok" and state_of(rule, "node-1").last_value > 0
    assert state_of(rule, "node-2").state == "firing" and state_of(rule, "node-2").last_value == 0


def test_a_rule_on_all_services_keeps_one_state_per_service(now, checkout):
    payments = ServiceFactory(name="payments", tenant=checkout.tenant)
    rule = make_rule(checkout.tenant, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
    send_traffic(payments, now.moment - timedelta(minutes=1), status=200)
    evaluate()
    assert {s.service.name: s.state for s in rule.states.select_related("service")} == {
        "checkout": "firing",
        "payments": "ok",
    }


def test_a_muted_rule_tracks_its_state_but_sends_nothing(now, checkout, webhook):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    rule.mute(now.moment + timedelta(hours=1), "deploying")
    send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
    evaluate()
    assert state_of(rule).state == "firing"
    event = rule.events.get()
    assert event.suppressed.startswith("rule muted") and not Delivery.objects.exists()


def test_a_silenced_service_sends_nothing_until_the_silence_ends(now, checkout, webhook):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    Silence.objects.create(service=checkout, until=now.moment + timedelta(minutes=3), reason="maintenance")
    send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
    evaluate()
    assert state_of(rule).state == "firing" and not Delivery.objects.exists()
    # It resolves after the silence: the resolution of an unannounced firing is not announced either.
    now.advance(minutes=10)
    evaluate()
    assert transitions(rule)[-1] == ("firing", "resolved")
    assert not Delivery.objects.exists()
    assert AlertEvent.objects.filter(suppressed="its firing was not notified").exists()


def test_a_restarted_worker_notifies_no_transition_twice(now, checkout, webhook, receiver):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=3), minutes=3, status=500)
    Evaluator().run()
    deliver_due()
    # A new worker process: nothing but the database carries over.
    for _ in range(3):
        now.advance(minutes=1)
        send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
        Evaluator().run()
        deliver_due()
    assert transitions(rule) == [("ok", "firing")]
    assert len(receiver.received) == 1


def test_a_rule_evaluated_moments_ago_is_skipped(now, checkout):
    make_rule(checkout.tenant, service=checkout)
    assert evaluate().rules == 1
    now.advance(seconds=5)
    report = evaluate()
    assert report.rules == 0 and report.skipped == 1


def test_a_burn_rate_rule_fires_when_both_windows_of_a_pair_burn_the_budget_fast(now, checkout):
    healthy = ServiceFactory(name="search", tenant=checkout.tenant)
    burning = make_rule(checkout.tenant, service=checkout, metric="burn_rate", threshold=14.4)
    calm = make_rule(checkout.tenant, service=healthy, metric="burn_rate", threshold=14.4)
    # Every request a 5xx for the last 50 minutes: the 1 h and 5 min windows both burn 1,000 times the
    # budget of a 99.9 % availability objective; the healthy service burns nothing.
    send_traffic(checkout, now.moment - timedelta(minutes=50), minutes=50, per_minute=6, status=503)
    send_traffic(healthy, now.moment - timedelta(minutes=50), minutes=50, per_minute=6, status=200)

    evaluate()

    assert state_of(burning).state == "firing" and state_of(burning).last_value == pytest.approx(1000, rel=0.01)
    assert state_of(calm).state == "ok" and state_of(calm).last_value == 0
