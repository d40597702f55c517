"""The project's one clock: every "now" in Malti comes from here."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
