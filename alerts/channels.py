"""Sending one notification over one channel: email, signed JSON webhook, or Slack/Mattermost format.

The webhook payload (version 1) and its signature are documented in the
README's Alerts section: the body is signed with HMAC-SHA256 under the
channel's secret, over "<timestamp>.<body>", sent as
`X-Malti-Signature: sha256=<hex>` with `X-Malti-Timestamp: <unix seconds>`,
so a receiver can refuse replays of old deliveries.
"""

import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core.mail import send_mail

from alerts.models import AlertEvent, AlertStateValue, Channel, Metric
from alerts.models.channels import email_addresses
from alerts.sealing import UnreadableSecret
from malti_site import clock

PAYLOAD_VERSION = 1
ANSWER_LIMIT = 300
SLACK_COLOURS = {"firing": "#d32f2f", "resolved": "#2e7d32", "test": "#1976d2"}


@dataclass(frozen=True)
class Message:
    """A notification, whatever carries it."""

    kind: str  # "firing", "resolved" or "test"
    subject: str
    text: str
    payload: dict
    delivery_id: int | None = None


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def event_message(event: AlertEvent, delivery_id: int | None = None) -> Message:
    rule = event.rule
    kind = "firing" if event.to_state == AlertStateValue.FIRING else "resolved"
    where = event.service.name + (f" (node {event.node})" if event.node else "")
    value = "no data" if event.value is None else f"{event.value:g}"
    headline = f"[{rule.severity.upper()}] {rule.name} {kind} on {where}"
    if rule.metric == Metric.SILENCE:
        condition = f"requests in the last {rule.window_minutes} min: {value}"
    else:
        condition = (
            f"{rule.get_metric_display()}: {value} (threshold {rule.threshold:g}, window {rule.window_minutes} min)"
        )
    text = f"{headline}\n{condition} at {_iso(event.at)}"
    payload = {
        "version": PAYLOAD_VERSION,
        "event": kind,
        "at": _iso(event.at),
        "tenant": rule.tenant.name,
        "rule": {
            "id": rule.id,
            "name": rule.name,
            "metric": rule.metric,
            "threshold": rule.threshold,
            "window_minutes": rule.window_minutes,
            "for_minutes": rule.for_minutes,
            "severity": rule.severity,
        },
        "service": event.service.name,
        "node": event.node,
        "value": event.value,
        "text": text,
    }
    return Message(kind, headline, text, payload, delivery_id)


def test_message(channel: Channel) -> Message:
    text = f"Test notification from Malti to channel {channel.name!r} of {channel.tenant.name}."
    payload = {
        "version": PAYLOAD_VERSION,
        "event": "test",
        "at": _iso(clock.now()),
        "tenant": channel.tenant.name,
        "text": text,
    }
    return Message("test", "[TEST] Malti notification", text, payload)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Malti-Signature value: HMAC-SHA256 over "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def slack_body(message: Message) -> dict:
    """What Slack and Mattermost incoming webhooks accept: text, plus a coloured attachment."""
    return {
        "text": message.subject,
        "attachments": [{"color": SLACK_COLOURS[message.kind], "fallback": message.text, "text": message.text}],
    }


def _post(channel: Channel, message: Message) -> tuple[bool, str]:
    body = orjson.dumps(slack_body(message) if channel.kind == Channel.Kind.SLACK else message.payload)
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Malti-Alerts/1",
        "X-Malti-Event": message.kind,
        "X-Malti-Timestamp": timestamp,
    }
    if message.delivery_id is not None:
        headers["X-Malti-Delivery"] = str(message.delivery_id)  # the same on every retry: receivers may dedupe
    try:
        secret = channel.secret()
    except UnreadableSecret as exc:
        return False, f"not sent: the channel's secret is unreadable ({exc})"
    if secret:
        headers["X-Malti-Signature"] = sign(secret, timestamp, body)
    request = urllib.request.Request(channel.target.strip(), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.MALTI_ALERTS_WEBHOOK_TIMEOUT) as answer:
            text = answer.read(ANSWER_LIMIT).decode(errors="replace")
            return 200 <= answer.status < 300, f"HTTP {answer.status} {text}".strip()
    except urllib.error.HTTPError as exc:
        text = exc.read(ANSWER_LIMIT).decode(errors="replace")
        return False, f"HTTP {exc.code} {text}".strip()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def _mail(channel: Channel, message: Message) -> tuple[bool, str]:
    recipients = email_addresses(channel.target)
    try:
        sent = send_mail(message.subject, message.text, settings.DEFAULT_FROM_EMAIL, recipients)
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        return False, f"{type(exc).__name__}: {exc}"
    return bool(sent), f"accepted by {settings.EMAIL_HOST}:{settings.EMAIL_PORT} for {', '.join(recipients)}"


def send(channel: Channel, message: Message) -> tuple[bool, str]:
    """Send once: (delivered, what the other end answered, or why it failed)."""
    if channel.kind == Channel.Kind.EMAIL:
        return _mail(channel, message)
    return _post(channel, message)
