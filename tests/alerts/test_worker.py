"""The worker evaluates rules and delivers notifications on both editions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

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
