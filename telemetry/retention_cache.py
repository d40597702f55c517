"""Raw retention, read from the database at most once a minute per process."""

import time
from datetime import timedelta

from telemetry.models import RetentionPolicy

_TTL_SECONDS = 60
# Ingest refuses records older than raw retention less this: every refresher
# (the community edition's 1-minute policy runs each minute, Apache's worker
# every 15 s) then has ten minutes to roll a record up before its raw chunk may
# be dropped, and the 1-minute policy window can stop at raw retention
# (rollups/continuous.py says why it must).
LATE_RECORD_MARGIN = timedelta(minutes=10)
_cached: tuple[float, timedelta] | None = None


def raw_retention() -> timedelta:
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _TTL_SECONDS:
        _cached = (now, RetentionPolicy.objects.duration("raw"))
    return _cached[1]


def ingest_max_age() -> timedelta:
    """How old a record ingest accepts may be."""
    return raw_retention() - LATE_RECORD_MARGIN


def forget():
    """Drop the cached value (after `retention set`, and in tests)."""
    global _cached
    _cached = None
