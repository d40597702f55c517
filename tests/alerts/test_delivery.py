"""Notifications over real sockets: SMTP (aiosmtpd), webhooks and Slack format (http.server), retries, tests."""

import threading
from datetime import timedelta

import pytest
from django.db import connections

from alerts.delivery import deliver_due
from alerts.evaluation import Evaluator, evaluate
from alerts.models import AlertEvent, Channel, Delivery
from alerts.models.deliveries import MAX_ATTEMPTS
from tests.alerts.conftest import make_rule, send_traffic

pytestmark = pytest.mark.django_db


def fire(now, service, channels):
    rule = make_rule(service.tenant, channels, service=service, threshold=10)
    send_traffic(service, now.moment - timedelta(minutes=2), minutes=2, status=500)
    evaluate()
    return rule


def test_an_email_channel_sends_through_the_smtp_server(now, checkout, smtp):
    channel = Channel.objects.create(
        tenant=checkout.tenant, name="on call", kind="email", target="oncall@example.com, lead@example.com"
    )
    fire(now, checkout, [channel])
    assert deliver_due().delivered == 1
    (sender, recipients, content) = smtp.messages[0]
    assert sender == "malti@example.com" and recipients == ["oncall@example.com", "lead@example.com"]
    assert "Subject: [WARNING] checkout errors firing on checkout" in content
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1 and "oncall@example.com" in delivery.answer


def test_a_slack_channel_posts_text_and_a_coloured_attachment(now, checkout, receiver):
    channel = Channel.objects.create(tenant=checkout.tenant, name="slack", kind="slack", target=receiver.url)
    fire(now, checkout, [channel])
    deliver_due()
    body = receiver.bodies[0]
    assert body["text"] == "[WARNING] checkout errors firing on checkout"
    assert body["attachments"][0]["color"] == "#d32f2f" and "threshold 10" in body["attachments"][0]["text"]


def test_a_failed_delivery_is_retried_with_exponential_backoff_until_accepted(now, checkout, webhook, receiver):
    receiver.answers = [500, 503]
    fire(now, checkout, [webhook])
    assert deliver_due().failed == 1
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.answer == "HTTP 500 receiver down"
    assert delivery.next_try == now.moment + timedelta(seconds=30)
    assert deliver_due().failed == 0 and len(receiver.received) == 1  # not due yet

    now.advance(seconds=30)
    assert deliver_due().failed == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_try == now.moment + timedelta(seconds=60)

    now.advance(seconds=60)
    assert deliver_due().delivered == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3 and delivery.delivered_at == now.moment
    # The same delivery id each time, so a receiver can drop a repeat.
    assert len({headers["X-Malti-Delivery"] for headers, _ in receiver.received}) == 1


def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(now, checkout, acme):
    channel = Channel.objects.create(tenant=acme[0], name="gone", kind="webhook", target="http://127.0.0.1:9/x")
    fire(now, checkout, [channel])
    for _ in range(MAX_ATTEMPTS):
        deliver_due()
        now.advance(hours=1)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS and delivery.next_try is None
    assert "Connection refused" in delivery.answer or "URLError" in delivery.answer


def test_the_test_notification_reaches_the_receiver_and_says_what_it_answered(webhook, receiver):
    delivered, detail = webhook.send_test()
    assert delivered and detail == "HTTP 200 ok"
    assert receiver.bodies[0]["event"] == "test"
    assert "X-Malti-Signature" in receiver.received[0][0]


def test_the_secret_is_stored_sealed_and_unreadable_under_another_secret_key(webhook, settings):
    webhook.refresh_from_db()
    assert "s3cret" not in webhook.sealed_secret and webhook.secret() == "s3cret-hmac-key"
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuv"
    delivered, detail = webhook.send_test()
    assert not delivered and "set the channel's secret again" in detail


def _in_thread(target, results, barrier):
    def run():
        try:
            barrier.wait()
            results.append(target())
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_and_delivering_at_once_notify_exactly_once(now, checkout, webhook, receiver):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, status=500)
    for step in (lambda: Evaluator().run(), deliver_due):
        results, barrier = [], threading.Barrier(2)
        threads = [_in_thread(step, results, barrier) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 2
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    assert Delivery.objects.get().status == "delivered"
    assert len(receiver.received) == 1
