"""Raw retention, read from the database at most once a minute per process."""

import time
from datetime import timedelta

from telemetry.models import RetentionPolicy

_TTL_SECONDS = 60
_cached: tuple[float, timedelta] | None = None


def raw_retention() -> timedelta:
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _TTL_SECONDS:
        _cached = (now, RetentionPolicy.objects.duration("raw"))
    return _cached[1]


def forget():
    """Drop the cached value (after `retention set`, and in tests)."""
    global _cached
    _cached = None
