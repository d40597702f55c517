"""Liveness and readiness probes (no authentication, no rate limit)."""

from django.db import connection
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from telemetry.edition import current_license


@require_GET
def health(request):
    """The process answers: {"status": "healthy"}."""
    return JsonResponse({"status": "healthy"})


@require_GET
def ready(request):
    """The database answers and has TimescaleDB loaded."""
    try:
        with connection.cursor() as cursor:
            license = current_license(cursor)
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "database": f"error: {exc.__class__.__name__}"}, status=503)
    if not license:
        return JsonResponse({"status": "unavailable", "database": "TimescaleDB is not loaded"}, status=503)
    return JsonResponse({"status": "ready", "database": "ok", "timescaledb": license})
