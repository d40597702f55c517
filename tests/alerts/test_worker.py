"""The worker evaluates rules and delivers notifications on both editions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from alerts.models import AlertEvent, Delivery
from tests.alerts.conftest import make_rule, send_traffic

pytestmark = pytest.mark.django_db


def test_one_worker_pass_evaluates_the_rules_and_sends_what_fired(now, checkout, webhook, receiver):
    make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, status=500)
    out = StringIO()
    call_command("malti_worker", "--once", stdout=out)
    assert "evaluate_alerts every 60s" in out.getvalue()
    assert "1 transition(s), 1 notification(s) queued, reads" in out.getvalue()
    assert "delivered 1 notification(s)" in out.getvalue()
    assert [body["event"] for body in receiver.bodies] == ["firing"]


def test_the_worker_prunes_alert_history_older_than_its_days_but_not_a_notification_being_tried(
    now, checkout, webhook, settings
):
    settings.MALTI_ALERTS_HISTORY_DAYS = 30
    rule = make_rule(checkout.tenant, [webhook], service=checkout)

    def transition(days_ago: int, delivery: str) -> AlertEvent:
        at = now.moment - timedelta(days=days_ago)
        event = AlertEvent.objects.create(
            rule=rule, service=checkout, at=at, from_state="pending", to_state="firing", value=50, threshold=10
        )
        # A pending one waits for its next try (backing off), so this pass does not deliver it.
        next_try = now.moment + timedelta(minutes=10) if delivery == "pending" else None
        Delivery.objects.create(event=event, channel=webhook, status=delivery, created_at=at, next_try=next_try)
        return event

    old, trying, recent = transition(31, "delivered"), transition(31, "pending"), transition(29, "failed")
    out = StringIO()
    call_command("malti_worker", "--once", stdout=out)
    assert "pruned 1 alert transition(s)" in out.getvalue()
    assert set(AlertEvent.objects.all()) == {trying, recent}
    assert set(Delivery.objects.values_list("event", flat=True)) == {trying.id, recent.id}
    assert old.id not in set(AlertEvent.objects.values_list("id", flat=True))
