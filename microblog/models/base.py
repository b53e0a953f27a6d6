"""Small helpers shared by the models."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC "now", called per row (a callable default, not a value frozen at import)."""
    return datetime.now(UTC).replace(tzinfo=None)
