"""Liveness and readiness probes (no authentication, no rate limit)."""

from datetime import timedelta

from django.db import connection
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from malti_site.replicas import replicas
from telemetry.edition import current_license
from telemetry.rollups.progress import progress

# Past this, a level's rollups are "degraded": a refresh is failing or not running.
# Still 200: ingest is safe (retention waits for the rollups) and queries read
# finer levels, so taking Malti out of rotation would only refuse telemetry.
ROLLUP_LAG_LIMIT = timedelta(minutes=15)


@require_GET
def health(request):
    """The process answers: {"status": "healthy"}."""
    return JsonResponse({"status": "healthy"})


@require_GET
def ready(request):
    """The database answers and has TimescaleDB loaded; how far behind each rollup level and replica is."""
    try:
        with connection.cursor() as cursor:
            license = current_license(cursor)
            levels = progress(cursor) if license else []
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "database": f"error: {exc.__class__.__name__}"}, status=503)
    if not license:
        return JsonResponse({"status": "unavailable", "database": "TimescaleDB is not loaded"}, status=503)
    behind = [level.level for level in levels if level.behind is not None and level.behind > ROLLUP_LAG_LIMIT]
    # A replica that does not serve is "degraded", still 200: the primary answers its reads.
    replica_states = replicas.states(fresh=True)
    return JsonResponse(
        {
            "status": "degraded" if behind or not all(state.serving for state in replica_states) else "ready",
            "database": "ok",
            "timescaledb": license,
            "rollups": {
                level.level: {
                    "complete_until": level.watermark.isoformat() if level.watermark else None,
                    "behind_seconds": int(level.behind.total_seconds()) if level.behind is not None else None,
                }
                for level in levels
            },
            "rollups_behind": behind,
            **({"replicas": [state.as_json() for state in replica_states]} if replica_states else {}),
        }
    )
