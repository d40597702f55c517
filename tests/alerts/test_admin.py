"""Django admin for alerts: every page loads, secrets are never listed or shown, the test action sends."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from alerts.delivery import deliver_due
from alerts.evaluation import evaluate
from alerts.models import AlertEvent, AlertRule, AlertState, Channel, Delivery, Silence
from tests.alerts.conftest import make_rule, send_traffic

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(root)
    return client


@pytest.mark.parametrize("model", [AlertRule, Channel, Silence, AlertEvent, Delivery])
def test_every_alerts_admin_page_loads_and_never_shows_a_secret(admin_client, now, checkout, webhook, model):
    make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=1), status=500)
    evaluate()
    deliver_due()
    Silence.objects.create(service=checkout, until=now.moment + timedelta(hours=1), reason="deploy")
    base = f"/admin/alerts/{model._meta.model_name}/"
    pages = [base, *([base + "add/"] if model in (AlertRule, Channel, Silence) else [])]
    pages.append(f"{base}{model.objects.first().pk}/change/")
    for page in pages:
        answer = admin_client.get(page)
        assert answer.status_code == 200, page
        assert "s3cret-hmac-key" not in answer.content.decode() and webhook.sealed_secret not in answer.content.decode()
    assert AlertState.objects.exists()


def test_the_admin_action_sends_a_test_notification(admin_client, webhook, receiver):
    answer = admin_client.post(
        "/admin/alerts/channel/",
        {"action": "send_test_notification", "_selected_action": [webhook.pk]},
        follow=True,
    )
    messages = [str(message) for message in answer.context["messages"]]
    assert messages == ["ops hook: delivered (HTTP 200 ok)"], answer.content.decode()[:3000]
    assert receiver.bodies[0]["event"] == "test"


def test_a_channel_saved_in_admin_keeps_its_secret_when_the_field_is_left_empty(admin_client, webhook, receiver):
    form = {"tenant": webhook.tenant_id, "name": "ops hook", "kind": "webhook", "target": receiver.url, "secret": ""}
    assert admin_client.post(f"/admin/alerts/channel/{webhook.pk}/change/", form).status_code == 302
    webhook.refresh_from_db()
    assert webhook.secret() == "s3cret-hmac-key"
    form["secret"] = "rotated"
    admin_client.post(f"/admin/alerts/channel/{webhook.pk}/change/", form)
    webhook.refresh_from_db()
    assert webhook.secret() == "rotated"
