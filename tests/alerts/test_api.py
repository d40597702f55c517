"""The alerts API: tenant-scoped reads, admin-only writes, 422s that say why, secrets never returned."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from alerts.delivery import deliver_due
from alerts.evaluation import evaluate
from alerts.models import AlertRule, Channel, Silence
from tests.alerts.conftest import make_rule, send_traffic
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, user_key

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=user_key(user))
    return api


@pytest.fixture
def admin_api(acme):
    return client_for(acme[1])


@pytest.fixture
def viewer_api(acme):
    viewer = UserFactory(username="acme-viewer")
    MembershipFactory(user=viewer, tenant=acme[0], role="viewer")
    return client_for(viewer)


@pytest.fixture
def other_api(db):
    tenant = TenantFactory(name="Globex")
    ServiceFactory(name="checkout", tenant=tenant)
    admin = UserFactory(username="globex-admin")
    MembershipFactory(user=admin, tenant=tenant, role="admin")
    return client_for(admin)


RULE = {"name": "checkout 5xx", "metric": "server_error_rate", "service": "checkout", "threshold": 5}


def test_an_admin_creates_a_rule_with_its_channels_and_reads_it_back(admin_api, checkout, webhook):
    answer = admin_api.post("/api/v1/alerts/rules", {**RULE, "channels": [webhook.id]}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["tenant"] == "Acme" and body["service"] == "checkout" and body["channels"] == [webhook.id]
    assert body["state"] == "ok" and body["window_minutes"] == 5 and body["last_value"] is None
    listed = admin_api.get("/api/v1/alerts/rules").json()["rules"]
    assert [rule["id"] for rule in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"window_minutes": 61}, "window_minutes"),
        ({"metric": "cpu"}, "metric"),
        ({"service": "nope"}, "no service named 'nope'"),
        ({"metric": "apdex_below", "threshold": 3}, "Apdex"),
        ({"node": "*"}, "silence rules only"),
        ({"channels": [999999]}, "channels"),
        ({"name": 0}, "name"),  # a string, as the schema says: not a number made into one
    ],
)
def test_an_invalid_rule_is_a_422_that_says_why(admin_api, checkout, change, says):
    answer = admin_api.post("/api/v1/alerts/rules", {**RULE, **change}, format="json")
    assert answer.status_code == 422 and says in answer.json()["detail"]


def test_a_viewer_reads_rules_but_cannot_change_them(admin_api, viewer_api, checkout):
    rule_id = admin_api.post("/api/v1/alerts/rules", RULE, format="json").json()["id"]
    assert viewer_api.get(f"/api/v1/alerts/rules/{rule_id}").status_code == 200
    assert viewer_api.patch(f"/api/v1/alerts/rules/{rule_id}", {"threshold": 1}, format="json").status_code == 403
    assert viewer_api.post("/api/v1/alerts/rules", RULE, format="json").status_code == 403
    assert viewer_api.delete(f"/api/v1/alerts/rules/{rule_id}").status_code == 403


def test_another_tenant_sees_nothing_of_acmes_alerts(admin_api, other_api, checkout, webhook):
    rule_id = admin_api.post("/api/v1/alerts/rules", RULE, format="json").json()["id"]
    assert other_api.get("/api/v1/alerts/rules").json()["rules"] == []
    assert other_api.get("/api/v1/alerts/channels").json()["channels"] == []
    for path in (f"rules/{rule_id}", f"rules/{rule_id}/history", f"channels/{webhook.id}"):
        assert other_api.get(f"/api/v1/alerts/{path}").status_code == 404
    assert other_api.patch(f"/api/v1/alerts/rules/{rule_id}", {"name": "x"}, format="json").status_code == 404
    assert other_api.post(f"/api/v1/alerts/channels/{webhook.id}/test").status_code == 404
    # Its own rule on its own `checkout` names its own service, not Acme's.
    own = other_api.post("/api/v1/alerts/rules", RULE, format="json").json()
    assert AlertRule.objects.get(pk=own["id"]).service.tenant.name == "Globex"
    assert other_api.post("/api/v1/alerts/rules", {**RULE, "tenant": "Acme"}, format="json").status_code == 403


def test_a_channel_secret_is_written_but_never_read_back(admin_api, acme, receiver):
    answer = admin_api.post(
        "/api/v1/alerts/channels",
        {"name": "hook", "kind": "webhook", "target": receiver.url, "secret": "top-secret"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["has_secret"] is True
    assert "top-secret" not in answer.content.decode()
    channel_id = answer.json()["id"]
    assert "secret" not in admin_api.get(f"/api/v1/alerts/channels/{channel_id}").json()
    assert Channel.objects.get(pk=channel_id).secret() == "top-secret"
    tested = admin_api.post(f"/api/v1/alerts/channels/{channel_id}/test").json()
    assert tested == {"delivered": True, "detail": "HTTP 200 ok"}
    bad = admin_api.post("/api/v1/alerts/channels", {"name": "m", "kind": "email", "target": "not an address"})
    assert bad.status_code == 422 and "not an email address" in bad.json()["detail"]


def test_firing_history_spans_and_deliveries_follow_the_rule(admin_api, now, checkout, webhook, receiver):
    rule = make_rule(checkout.tenant, [webhook], service=checkout, threshold=10)
    send_traffic(checkout, now.moment - timedelta(minutes=2), minutes=2, status=500)
    evaluate()
    deliver_due()
    firing = admin_api.get("/api/v1/alerts/firing").json()["alerts"]
    assert [(a["rule"], a["service"], a["state"], a["value"]) for a in firing] == [(rule.id, "checkout", "firing", 100)]
    history = admin_api.get(f"/api/v1/alerts/rules/{rule.id}/history").json()["events"]
    assert [(e["from_state"], e["to_state"], e["notified"]) for e in history] == [("ok", "firing", True)]
    spans = admin_api.get("/api/v1/alerts/events", {"service": "checkout"}).json()["spans"]
    assert [(s["rule"], s["end"]) for s in spans] == [(rule.id, None)]
    deliveries = admin_api.get("/api/v1/alerts/deliveries", {"rule": rule.id}).json()["deliveries"]
    assert [(d["channel"], d["status"], d["attempts"]) for d in deliveries] == [("ops hook", "delivered", 1)]

    now.advance(minutes=10)
    evaluate()
    spans = admin_api.get("/api/v1/alerts/events").json()["spans"]
    assert spans[0]["end"] is not None
    assert admin_api.get("/api/v1/alerts/firing").json()["alerts"] == []


def test_mute_unmute_and_service_silences(admin_api, now, checkout):
    rule = make_rule(checkout.tenant, service=checkout)
    until = (now.moment + timedelta(hours=2)).isoformat()
    muted = admin_api.post(f"/api/v1/alerts/rules/{rule.id}/mute", {"until": until, "reason": "deploy"}, format="json")
    assert muted.status_code == 200 and muted.json()["mute_reason"] == "deploy"
    numeric = admin_api.post(f"/api/v1/alerts/rules/{rule.id}/mute", {"until": until, "reason": 0}, format="json")
    assert numeric.status_code == 422 and "reason" in numeric.json()["detail"]
    assert admin_api.post(f"/api/v1/alerts/rules/{rule.id}/unmute").json()["muted_until"] is None

    made = admin_api.post(
        "/api/v1/alerts/silences", {"service": "checkout", "until": until, "reason": "maintenance"}, format="json"
    )
    assert made.status_code == 201
    assert [s["service"] for s in admin_api.get("/api/v1/alerts/silences").json()["silences"]] == ["checkout"]
    assert admin_api.delete(f"/api/v1/alerts/silences/{made.json()['id']}").status_code == 204
    assert not Silence.objects.exists()
    past = (now.moment - timedelta(hours=1)).isoformat()
    late = admin_api.post("/api/v1/alerts/silences", {"service": "checkout", "until": past}, format="json")
    assert late.status_code == 422
