"""The alerts API (/api/v1/alerts/...): rules, mutes, silences, what fires, history, channels, deliveries.

Every object belongs to a tenant: a user sees those of their tenants and
changes only those of tenants where they are an admin (403 otherwise; 404
for objects of other tenants, which they cannot know exist).
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as ModelValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.response import Response

from accounts.api.views import KnownMethodView
from accounts.models import Membership, Service, Tenant
from accounts.permissions import IsMetricsReader
from alerts.api import serializers as s
from alerts.models import AlertEvent, AlertRule, AlertState, AlertStateValue, Channel, Delivery, Silence
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, error_responses
from telemetry.metrics import BadParameter, parse_time

READ_ERRORS = {
    401: "No credentials, or an unknown, revoked or expired key.",
    403: "A service key: service keys may only ingest.",
    503: "The database is unavailable; retry after Retry-After seconds.",
}
OBJECT_ERRORS = {**READ_ERRORS, 404: "No such object among your tenants'."}
WRITE_ERRORS = {
    **READ_ERRORS,
    400: "The body is not JSON (or a form).",
    403: "A service key, or you are not an admin of the tenant.",
    422: "Invalid input: the detail says which field and why.",
}
OBJECT_WRITE_ERRORS = {**WRITE_ERRORS, 404: "No such object among your tenants'."}
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The object's id.")


class Invalid(APIException):
    status_code = 422
    default_detail = "Invalid input."
    default_code = "invalid"


def _flatten(errors, prefix="") -> str:
    if isinstance(errors, dict):
        return "; ".join(_flatten(value, f"{key}: ") for key, value in errors.items())
    if isinstance(errors, list):
        return " ".join(_flatten(item, prefix) for item in errors)
    return f"{prefix}{errors}"


def validated(serializer_class, data, partial=False) -> dict:
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object.")
    form = serializer_class(data=data, partial=partial)
    if not form.is_valid():
        raise Invalid(_flatten(form.errors))
    return form.validated_data


def object_id(raw: str) -> int:
    """A path's id; anything but a whole number names no object (a JSON 404, as for an unknown id)."""
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("No such object.")
    return int(raw)


def administered(user):
    return Tenant.objects.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN)


def tenant_to_write(user, name: str | None) -> Tenant:
    """The tenant a new object goes to: the one named, or the user's only administered tenant."""
    tenants = administered(user)
    if name is not None:
        tenant = tenants.filter(name=name).first()
        if tenant is None:
            raise PermissionDenied(f"You are not an admin of a tenant named {name!r}.")
        return tenant
    tenants = list(tenants[:2])
    if not tenants:
        raise PermissionDenied("You are not an admin of any tenant.")
    if len(tenants) > 1:
        raise Invalid("tenant: you administer several tenants; name one.")
    return tenants[0]


def require_admin(user, tenant_id: int):
    if not administered(user).filter(pk=tenant_id).exists():
        raise PermissionDenied("Only the tenant's admins may change its alerts.")


def saved(instance):
    """Validate with the model's rules (422 if broken), then save."""
    try:
        instance.full_clean(exclude=["channels"])
    except ModelValidationError as exc:
        raise Invalid(_flatten(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)) from None
    instance.save()
    return instance


class AlertsView(KnownMethodView):
    permission_classes = [IsMetricsReader]


# --- rules -------------------------------------------------------------------------


def rule_body(rule: AlertRule) -> dict:
    overall = rule.overall_state()
    return {
        "id": rule.id,
        "tenant": rule.tenant.name,
        "name": rule.name,
        "metric": rule.metric,
        "service": rule.service.name if rule.service else None,
        **{dim: getattr(rule, dim) for dim in ("endpoint", "method", "consumer", "node")},
        "window_minutes": rule.window_minutes,
        "threshold": rule.threshold,
        "for_minutes": rule.for_minutes,
        "min_requests": rule.min_requests,
        "severity": rule.severity,
        "channels": sorted(channel.id for channel in rule.channels.all()),
        "enabled": rule.enabled,
        "muted_until": rule.muted_until,
        "mute_reason": rule.mute_reason,
        "state": overall.state if overall else AlertStateValue.OK,
        "state_since": overall.since if overall else None,
        "last_value": overall.last_value if overall else None,
    }


def rules_of(user):
    return AlertRule.objects.visible_to(user).select_related("tenant", "service").prefetch_related("channels", "states")


def apply_rule(rule: AlertRule, data: dict) -> AlertRule:
    if "service" in data:
        name = data["service"]
        rule.service = None
        if name not in (None, ""):
            rule.service = Service.objects.filter(tenant=rule.tenant, name=name).first()
            if rule.service is None:
                raise Invalid(f"service: {rule.tenant.name} has no service named {name!r}.")
    for field in (
        "name",
        "metric",
        "window_minutes",
        "threshold",
        "for_minutes",
        "min_requests",
        "severity",
        "enabled",
        "muted_until",
        "mute_reason",
    ):
        if field in data:
            setattr(rule, field, data[field])
    for dim in ("endpoint", "method", "consumer", "node"):
        if dim in data:
            value = data[dim] or None
            setattr(rule, dim, value.upper() if dim == "method" and value else value)
    channels = None
    if "channels" in data:
        channels = list(Channel.objects.filter(tenant=rule.tenant, id__in=data["channels"]))
        if len(channels) != len(set(data["channels"])):
            raise Invalid(f"channels: not every id is a channel of {rule.tenant.name}.")
    with transaction.atomic():
        saved(rule)
        if channels is not None:
            rule.channels.set(channels)
    return rule


class RulesView(AlertsView):
    @extend_schema(
        operation_id="api_v1_alerts_rules_list",
        summary="Alert rules of your tenants",
        responses={200: s.RuleListOutput, **error_responses(READ_ERRORS)},
        parameters=[RETRY_AFTER],
    )
    def get(self, request):
        return Response({"rules": [rule_body(rule) for rule in rules_of(request.user)]})

    @extend_schema(
        summary="Create a rule",
        request=s.RuleInput,
        responses={201: s.RuleOutput, **error_responses(WRITE_ERRORS)},
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        data = validated(s.RuleInput, request.data)
        tenant = tenant_to_write(request.user, data.get("tenant"))
        rule = apply_rule(AlertRule(tenant=tenant), data)
        return Response(rule_body(rules_of(request.user).get(pk=rule.pk)), status=status.HTTP_201_CREATED)


class RuleAlertsView(AlertsView):
    def rule(self, request, id) -> AlertRule:
        return get_object_or_404(rules_of(request.user), pk=object_id(id))


class RuleView(RuleAlertsView):
    @extend_schema(
        summary="One rule",
        parameters=[ID, RETRY_AFTER],
        responses={200: s.RuleOutput, **error_responses(OBJECT_ERRORS)},
    )
    def get(self, request, id):
        return Response(rule_body(self.rule(request, id)))

    @extend_schema(
        summary="Change a rule (only the fields sent)",
        request=s.RuleInput,
        parameters=[ID, RETRY_AFTER],
        responses={200: s.RuleOutput, **error_responses(OBJECT_WRITE_ERRORS)},
    )
    def patch(self, request, id):
        rule = self.rule(request, id)
        require_admin(request.user, rule.tenant_id)
        data = validated(s.RuleInput, request.data, partial=True)
        if "tenant" in data and data["tenant"] != rule.tenant.name:
            raise Invalid("tenant: a rule cannot move to another tenant.")
        apply_rule(rule, data)
        return Response(rule_body(self.rule(request, id)))

    @extend_schema(
        summary="Delete a rule, its states and history",
        parameters=[ID, RETRY_AFTER],
        responses={204: None, **error_responses({**OBJECT_ERRORS, 403: WRITE_ERRORS[403]})},
    )
    def delete(self, request, id):
        rule = self.rule(request, id)
        require_admin(request.user, rule.tenant_id)
        rule.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleMuteView(RuleAlertsView):
    @extend_schema(
        summary="Mute a rule's notifications until a time (its state is still tracked)",
        request=s.MuteInput,
        parameters=[ID, RETRY_AFTER],
        responses={200: s.RuleOutput, **error_responses(OBJECT_WRITE_ERRORS)},
    )
    def post(self, request, id):
        rule = self.rule(request, id)
        require_admin(request.user, rule.tenant_id)
        data = validated(s.MuteInput, request.data)
        rule.mute(data["until"], data["reason"])
        return Response(rule_body(self.rule(request, id)))


class RuleUnmuteView(RuleAlertsView):
    @extend_schema(
        summary="Notify again",
        request=None,
        parameters=[ID, RETRY_AFTER],
        responses={200: s.RuleOutput, **error_responses({**OBJECT_ERRORS, 403: WRITE_ERRORS[403]})},
    )
    def post(self, request, id):
        rule = self.rule(request, id)
        require_admin(request.user, rule.tenant_id)
        rule.unmute()
        return Response(rule_body(self.rule(request, id)))


def event_body(event: AlertEvent) -> dict:
    return {
        "at": event.at,
        "service": event.service.name,
        "node": event.node,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "value": event.value,
        "notified": event.notifies and not event.suppressed,
        "suppressed": event.suppressed,
    }


class RuleHistoryView(RuleAlertsView):
    @extend_schema(
        summary="A rule's transitions, newest first (at most 500)",
        parameters=[ID, RETRY_AFTER],
        responses={200: s.HistoryOutput, **error_responses(OBJECT_ERRORS)},
    )
    def get(self, request, id):
        rule = self.rule(request, id)
        events = rule.events.select_related("service")[:500]
        return Response({"events": [event_body(event) for event in events]})


# --- what fires now, and when it fired ------------------------------------------------


class FiringView(AlertsView):
    @extend_schema(
        summary="Alerts pending or firing now",
        parameters=[RETRY_AFTER],
        responses={200: s.FiringOutput, **error_responses(READ_ERRORS)},
    )
    def get(self, request):
        states = (
            AlertState.objects.filter(rule__in=AlertRule.objects.visible_to(request.user), rule__enabled=True)
            .exclude(state=AlertStateValue.OK)
            .select_related("rule", "service")
            .order_by("-state", "since")
        )
        return Response(
            {
                "alerts": [
                    {
                        "rule": state.rule_id,
                        "name": state.rule.name,
                        "service": state.service.name,
                        "node": state.node,
                        "severity": state.rule.severity,
                        "state": state.state,
                        "since": state.since,
                        "value": state.last_value,
                        "threshold": state.rule.threshold,
                    }
                    for state in states
                ]
            }
        )


SPAN_PARAMETERS = [
    OpenApiParameter("start_time", OpenApiTypes.DATETIME, description="ISO 8601; default: 24 hours before end."),
    OpenApiParameter("end_time", OpenApiTypes.DATETIME, description="ISO 8601; default: now."),
    OpenApiParameter("service", {"type": "string", "maxLength": 500}, description="Only this service's spans."),
    RETRY_AFTER,
]


def _time(params, name) -> datetime | None:
    try:
        return parse_time(name, params.get(name))  # as the metrics read them
    except BadParameter as exc:
        raise Invalid(str(exc)) from None


class EventsView(AlertsView):
    @extend_schema(
        summary="Firing spans overlapping a range (for marking charts)",
        parameters=SPAN_PARAMETERS,
        responses={
            200: s.SpansOutput,
            **error_responses({**READ_ERRORS, 422: "A bad timestamp, or start_time not before end_time."}),
        },
    )
    def get(self, request):
        end = _time(request.query_params, "end_time") or clock.now()
        start = _time(request.query_params, "start_time") or end - timedelta(days=1)
        if start >= end:
            raise Invalid("start_time must be before end_time.")
        service = request.query_params.get("service")
        if service is not None and len(service) > 500:
            raise Invalid("service is longer than 500 characters.")
        return Response({"spans": spans(request.user, start, end, service)})


def spans(user, start, end, service=None) -> list[dict]:
    """Each firing, from its event to its resolution (None while it still fires), overlapping [start, end)."""
    events = AlertEvent.objects.filter(rule__in=AlertRule.objects.visible_to(user), at__lte=end).filter(
        to_state__in=[AlertStateValue.FIRING, AlertStateValue.RESOLVED]
    )
    if service:
        events = events.filter(service__name=service)
    open_spans, found = {}, []
    for event in events.select_related("rule", "service").order_by("at", "id"):
        subject = (event.rule_id, event.service_id, event.node)
        if event.to_state == AlertStateValue.FIRING:
            open_spans[subject] = event
        elif subject in open_spans:
            fired = open_spans.pop(subject)
            if event.at > start:
                found.append((fired, event.at))
    found += [(fired, None) for fired in open_spans.values()]
    return [
        {
            "rule": fired.rule_id,
            "name": fired.rule.name,
            "service": fired.service.name,
            "severity": fired.rule.severity,
            "start": fired.at,
            "end": ended,
        }
        for fired, ended in sorted(found, key=lambda pair: pair[0].at)
    ]


# --- silences ------------------------------------------------------------------------


def silence_body(silence: Silence) -> dict:
    return {
        "id": silence.id,
        "tenant": silence.service.tenant.name,
        "service": silence.service.name,
        "until": silence.until,
        "reason": silence.reason,
    }


class SilencesView(AlertsView):
    @extend_schema(
        summary="Active service silences",
        parameters=[RETRY_AFTER],
        responses={200: s.SilenceListOutput, **error_responses(READ_ERRORS)},
    )
    def get(self, request):
        silences = Silence.objects.visible_to(request.user).active().select_related("service__tenant")
        return Response({"silences": [silence_body(silence) for silence in silences]})

    @extend_schema(
        summary="Silence a service's notifications until a time",
        request=s.SilenceInput,
        parameters=[RETRY_AFTER],
        responses={201: s.SilenceOutput, **error_responses(WRITE_ERRORS)},
    )
    def post(self, request):
        data = validated(s.SilenceInput, request.data)
        tenant = tenant_to_write(request.user, data.get("tenant"))
        service = Service.objects.filter(tenant=tenant, name=data["service"]).first()
        if service is None:
            raise Invalid(f"service: {tenant.name} has no service named {data['service']!r}.")
        if data["until"] <= clock.now():
            raise Invalid("until: give a time in the future.")
        silence = Silence.objects.create(
            service=service, until=data["until"], reason=data["reason"], created_by=request.user
        )
        return Response(silence_body(silence), status=status.HTTP_201_CREATED)


class SilenceView(AlertsView):
    @extend_schema(
        summary="End a silence",
        parameters=[ID, RETRY_AFTER],
        responses={204: None, **error_responses({**OBJECT_ERRORS, 403: WRITE_ERRORS[403]})},
    )
    def delete(self, request, id):
        silence = get_object_or_404(
            Silence.objects.visible_to(request.user).select_related("service"), pk=object_id(id)
        )
        require_admin(request.user, silence.service.tenant_id)
        silence.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- channels ------------------------------------------------------------------------


def channel_body(channel: Channel) -> dict:
    return {
        "id": channel.id,
        "tenant": channel.tenant.name,
        "name": channel.name,
        "kind": channel.kind,
        "target": channel.target,
        "has_secret": channel.has_secret,
    }


def channels_of(user):
    return Channel.objects.filter(tenant__memberships__user=user).distinct().select_related("tenant")


def apply_channel(channel: Channel, data: dict) -> Channel:
    for field in ("name", "kind", "target"):
        if field in data:
            setattr(channel, field, data[field].strip())
    if "secret" in data:
        channel.set_secret(data["secret"])
    if Channel.objects.filter(tenant=channel.tenant, name=channel.name).exclude(pk=channel.pk).exists():
        raise Invalid(f"name: {channel.tenant.name} already has a channel named {channel.name!r}.")
    return saved(channel)


class ChannelsView(AlertsView):
    @extend_schema(
        operation_id="api_v1_alerts_channels_list",
        summary="Notification channels of your tenants",
        parameters=[RETRY_AFTER],
        responses={200: s.ChannelListOutput, **error_responses(READ_ERRORS)},
    )
    def get(self, request):
        return Response({"channels": [channel_body(channel) for channel in channels_of(request.user)]})

    @extend_schema(
        summary="Create a channel (its secret is never shown again)",
        request=s.ChannelInput,
        parameters=[RETRY_AFTER],
        responses={201: s.ChannelOutput, **error_responses(WRITE_ERRORS)},
    )
    def post(self, request):
        data = validated(s.ChannelInput, request.data)
        channel = apply_channel(Channel(tenant=tenant_to_write(request.user, data.get("tenant"))), data)
        return Response(channel_body(channel), status=status.HTTP_201_CREATED)


class ChannelAlertsView(AlertsView):
    def channel(self, request, id) -> Channel:
        return get_object_or_404(channels_of(request.user), pk=object_id(id))


class ChannelView(ChannelAlertsView):
    @extend_schema(
        summary="One channel",
        parameters=[ID, RETRY_AFTER],
        responses={200: s.ChannelOutput, **error_responses(OBJECT_ERRORS)},
    )
    def get(self, request, id):
        return Response(channel_body(self.channel(request, id)))

    @extend_schema(
        summary="Change a channel (only the fields sent)",
        request=s.ChannelInput,
        parameters=[ID, RETRY_AFTER],
        responses={200: s.ChannelOutput, **error_responses(OBJECT_WRITE_ERRORS)},
    )
    def patch(self, request, id):
        channel = self.channel(request, id)
        require_admin(request.user, channel.tenant_id)
        data = validated(s.ChannelInput, request.data, partial=True)
        if "tenant" in data and data["tenant"] != channel.tenant.name:
            raise Invalid("tenant: a channel cannot move to another tenant.")
        return Response(channel_body(apply_channel(channel, data)))

    @extend_schema(
        summary="Delete a channel",
        parameters=[ID, RETRY_AFTER],
        responses={204: None, **error_responses({**OBJECT_ERRORS, 403: WRITE_ERRORS[403]})},
    )
    def delete(self, request, id):
        channel = self.channel(request, id)
        require_admin(request.user, channel.tenant_id)
        channel.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestView(ChannelAlertsView):
    @extend_schema(
        summary="Send a test notification now",
        request=None,
        parameters=[ID, RETRY_AFTER],
        responses={200: s.TestOutput, **error_responses({**OBJECT_ERRORS, 403: WRITE_ERRORS[403]})},
    )
    def post(self, request, id):
        channel = self.channel(request, id)
        require_admin(request.user, channel.tenant_id)
        delivered, detail = channel.send_test()
        return Response({"delivered": delivered, "detail": detail})


# --- deliveries ----------------------------------------------------------------------


class DeliveriesView(AlertsView):
    @extend_schema(
        summary="The delivery log, newest first (at most 500)",
        parameters=[
            OpenApiParameter("rule", OpenApiTypes.INT, description="Only this rule's deliveries."),
            RETRY_AFTER,
        ],
        responses={200: s.DeliveryListOutput, **error_responses({**READ_ERRORS, 422: "rule is not a rule id."})},
    )
    def get(self, request):
        deliveries = Delivery.objects.filter(event__rule__in=AlertRule.objects.visible_to(request.user))
        rule = request.query_params.get("rule")
        if rule not in (None, ""):
            if not rule.isdigit() or len(rule) > 18:
                raise Invalid("rule: give a rule id.")
            deliveries = deliveries.filter(event__rule_id=int(rule))
        deliveries = deliveries.select_related("channel", "event__service")[:500]
        return Response(
            {
                "deliveries": [
                    {
                        "id": d.id,
                        "at": d.created_at,
                        "rule": d.event.rule_id,
                        "channel": d.channel.name,
                        "event": f"{d.event.to_state} on {d.event.service.name}",
                        "attempts": d.attempts,
                        "status": d.status,
                        "answer": d.answer,
                        "next_try": d.next_try,
                        "delivered_at": d.delivered_at,
                    }
                    for d in deliveries
                ]
            }
        )
