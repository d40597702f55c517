"""Alerts under test: a controlled clock, traffic stored as ingest stores it, and real receivers on loopback.

The receivers are real servers: aiosmtpd for email and http.server (in a
thread) for webhooks, so a notification goes over a socket as in production.
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from alerts.models import AlertRule, Channel
from malti_site import clock
from telemetry.models import Request
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory
from tests.reliability.conftest import free_port


class Clock:
    """malti_site.clock.now under the test's control."""

    def __init__(self, start: datetime):
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta):
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def now(monkeypatch):
    # Whole minutes a little in the past, so every stored row lies within the raw retention.
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=90)
    controlled = Clock(start)
    monkeypatch.setattr(clock, "now", controlled)
    return controlled


def send_traffic(service, start, minutes=1, per_minute=10, status=200, response_time=40, node="node-1", **dims):
    """Store `per_minute` requests in each minute from `start`, under the service's telemetry key."""
    rows = []
    for minute in range(minutes):
        for i in range(per_minute):
            at = start + timedelta(minutes=minute, seconds=i * 50 / max(per_minute, 1))
            rows.append(
                (
                    service.telemetry_key,
                    node,
                    dims.get("method", "GET"),
                    at,
                    dims.get("endpoint", "/orders"),
                    None,
                    status,
                    response_time,
                    dims.get("consumer", "web"),
                )
            )
    Request.objects.ingest(rows)


@pytest.fixture
def acme(db):
    tenant = TenantFactory(name="Acme")
    admin = UserFactory(username="acme-admin")
    MembershipFactory(user=admin, tenant=tenant, role="admin")
    return tenant, admin


@pytest.fixture
def checkout(acme):
    return ServiceFactory(name="checkout", tenant=acme[0])


def make_rule(tenant, channels=(), **fields) -> AlertRule:
    defaults = {"name": "checkout errors", "metric": "error_rate", "window_minutes": 5, "threshold": 10}
    rule = AlertRule.objects.create(tenant=tenant, **{**defaults, **fields})
    rule.channels.set(channels)
    return rule


# --- a webhook receiver ----------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    received: list = field(default_factory=list)
    # Statuses to answer, one per request; then 200.
    answers: list = field(default_factory=list)

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append((dict(self.headers), body))
            code = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"receiver down")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    box = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/malti"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook(acme, receiver) -> Channel:
    channel = Channel(tenant=acme[0], name="ops hook", kind=Channel.Kind.WEBHOOK, target=receiver.url)
    channel.set_secret("s3cret-hmac-key")
    channel.save()
    return channel


# --- an SMTP server ----------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.DEFAULT_FROM_EMAIL = "malti@example.com"
    yield inbox
    controller.stop()
