"""Bring the rollups up to date, whichever TimescaleDB edition keeps them."""

from django.db import connection

from telemetry.edition import has_continuous_aggregates


def refresh(window=None) -> str:
    """Refresh now (optionally recomputing `window` = (start, end) from raw rows); say what was done."""
    if has_continuous_aggregates():
        from telemetry.rollups.continuous import refresh_continuous_aggregates

        if connection.in_atomic_block:
            raise RuntimeError("Continuous aggregates cannot be refreshed inside a transaction.")
        count, notes = refresh_continuous_aggregates(window)
        return "; ".join([f"Refreshed {count} continuous aggregates", *notes]) + "."
    from telemetry.rollups import refresher

    if window:
        refresher.mark_dirty(*window)
    return str(refresher.refresh()).capitalize() + "."
