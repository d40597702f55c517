"""Bring the rollups up to date, whichever TimescaleDB edition keeps them."""

from django.db import connection

from telemetry.edition import has_continuous_aggregates


def refresh(window=None, progress=None) -> str:
    """Refresh now, after rebuilding `window` = (start, end) set-wise if given; say what was done.

    `progress(level, start, end)` is called after each slice of a rebuild.
    """
    said = []
    if window:
        from telemetry.rollups.rebuild import rebuild

        said.append(str(rebuild(*window, progress=progress)))
    if has_continuous_aggregates():
        if window:
            # The rebuild wrote the aggregates' rows itself; their policies keep refreshing the rest.
            return " ".join(said)
        from telemetry.rollups.continuous import refresh_continuous_aggregates

        if connection.in_atomic_block:
            raise RuntimeError("Continuous aggregates cannot be refreshed inside a transaction.")
        count, notes = refresh_continuous_aggregates()
        return "; ".join([f"Refreshed {count} continuous aggregates", *notes]) + "."
    from telemetry.rollups import refresher

    # Apache: also moves the watermarks and rewrites the open buckets from the rebuilt levels.
    said.append(str(refresher.refresh()).capitalize() + ".")
    return " ".join(said)
