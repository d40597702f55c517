from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.response import Response

from accounts.api.views import KnownMethodView
from accounts.models import Membership, Service
from accounts.permissions import IsMetricsReader
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, error_responses
from objectives.api.serializers import (
    ObjectivesListSerializer,
    ObjectivesUpdateSerializer,
    ServiceObjectivesSerializer,
)
from objectives.health import objectives_report
from objectives.models import ServiceObjectives
from telemetry.api.metrics_views import metrics_ratelimit

READ_ERRORS = {
    401: "No credentials, or an unknown, revoked or expired key.",
    403: "A service key: service keys may only ingest.",
    429: "Rate limited; see Retry-After.",
    503: "The database is unavailable or busy; retry after Retry-After seconds.",
}
UPDATE_ERRORS = {
    **READ_ERRORS,
    403: "A service key, or the caller is not an admin of the service's tenant.",
    404: "No service of that name (in that tenant) that the caller can see.",
    422: "An invalid value, or a name two of the caller's tenants use without `tenant` to choose.",
}
TENANT = OpenApiParameter(
    "tenant", str, description="The tenant's name, when two of the caller's tenants have a service of that name."
)


class InvalidObjectives(APIException):
    status_code = 422
    default_detail = "Invalid objectives."
    default_code = "invalid"


class ObjectivesView(KnownMethodView):
    """Each visible service's Apdex target, objectives, 30-day compliance, error budget and burn rates."""

    permission_classes = [IsMetricsReader]

    @extend_schema(
        summary="Objectives of every visible service",
        responses={200: ObjectivesListSerializer, **error_responses(READ_ERRORS)},
        parameters=[RETRY_AFTER],
    )
    @metrics_ratelimit
    def get(self, request):
        services = Service.objects.visible_to(request.user).select_related("tenant").distinct()
        return Response({"objectives": objectives_report(services, clock.now())})


class ServiceObjectivesView(KnownMethodView):
    """Change one service's Apdex target and objectives (tenant admins)."""

    permission_classes = [IsMetricsReader]

    def service(self, request, name: str) -> Service:
        """The visible service of that name; the caller must administer its tenant."""
        matches = Service.objects.visible_to(request.user).filter(name=name).select_related("tenant").distinct()
        if request.query_params.get("tenant"):
            matches = matches.filter(tenant__name=request.query_params["tenant"])
        found = list(matches[:2])
        if not found:
            raise NotFound("No service of that name that you can see.")
        if len(found) > 1:
            raise InvalidObjectives("Several of your tenants have a service of that name: add ?tenant=<name>.")
        service = found[0]
        if not Membership.objects.filter(user=request.user, tenant=service.tenant, role=Membership.Role.ADMIN).exists():
            raise PermissionDenied("Only an admin of the service's tenant may change its objectives.")
        return service

    @extend_schema(
        summary="Change a service's Apdex target and objectives",
        request=ObjectivesUpdateSerializer,
        responses={200: ServiceObjectivesSerializer, **error_responses(UPDATE_ERRORS)},
        parameters=[TENANT, RETRY_AFTER],
    )
    @metrics_ratelimit
    def patch(self, request, service: str):
        target = self.service(request, service)
        form = ObjectivesUpdateSerializer(data=request.data)
        if not form.is_valid():
            raise InvalidObjectives(
                " ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
            )
        objectives = ServiceObjectives.for_service(target)
        for field, value in form.validated_data.items():
            setattr(objectives, field, value)
        objectives.save()
        return Response(objectives_report([target], clock.now())[0], status=status.HTTP_200_OK)
