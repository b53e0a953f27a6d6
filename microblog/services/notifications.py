"""Per-user notifications: one row per (user, name), replaced when added again.

Adding is an upsert (INSERT .. ON CONFLICT DO UPDATE on the unique user_id+name), so
two requests adding the same notification at once never fail on the constraint and
never leave two rows. The timestamp doubles as a version: the badge carries it in
its URL and the server answers 204 while it has not changed.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from sqlalchemy import Insert, bindparam, select

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Notification

UNREAD_MESSAGE_COUNT = "unread_message_count"


def _insert(values: dict[str, Any]) -> Insert:
    return upsert_insert(Notification).values(values)


def upsert(user_id: int, name: str, data: Any, timestamp: float | None = None) -> float:
    """Set `user_id`'s notification `name` inside the caller's transaction (no commit).

    On PostgreSQL the row stays locked until the caller commits: callers that
    derive `data` from other tables use that lock to serialise (see `lock`).
    Returns the new timestamp.
    """
    stamp = time.time() if timestamp is None else timestamp
    payload = json.dumps(data)
    statement = _insert(
        {"user_id": user_id, "name": name, "timestamp": stamp, "payload_json": payload}
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Notification.user_id, Notification.name],
        set_={"timestamp": stamp, "payload_json": payload},
    )
    db.session.execute(statement)
    return stamp


def lock(user_id: int, name: str, default: Any) -> None:
    """Take the write lock on `user_id`'s notification `name`, creating it if absent.

    Callers then compute the new value from fresh reads and `upsert` it: every
    writer of this notification waits here for the previous one to commit, so a
    value recomputed after the lock never misses a committed change. (SQLite has
    one writer at a time anyway; this statement is then a cheap no-op update.)
    """
    statement = _insert(
        {"user_id": user_id, "name": name, "timestamp": 0.0, "payload_json": json.dumps(default)}
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Notification.user_id, Notification.name],
        set_={"timestamp": Notification.timestamp},  # a no-op write that takes the row lock
    )
    db.session.execute(statement)


def add(user_id: int, name: str, data: Any) -> float:
    """Add (or replace) a notification and commit."""
    stamp = upsert(user_id, name, data)
    db.session.commit()
    return stamp


# Every full page reads the badge's notification: the statement is built once.
_ONE = select(Notification.payload_json, Notification.timestamp).where(
    Notification.user_id == bindparam("user_id"), Notification.name == bindparam("name")
)


def get(user_id: int, name: str) -> tuple[Any, float] | None:
    """`(data, timestamp)` of one notification, or None: one lookup on the unique index."""
    row = db.session.execute(_ONE, {"user_id": user_id, "name": name}).first()
    return None if row is None else (json.loads(row.payload_json), row.timestamp)


def since(user_id: int, timestamp: float) -> list[Notification]:
    """The user's notifications newer than `timestamp`, oldest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.timestamp > timestamp)
        .order_by(Notification.timestamp, Notification.id)
    )
    return list(db.session.scalars(query))


def parse_since(value: str | None) -> float:
    """A `?since=` value as a finite float; anything else (missing, text, nan, inf) is 0."""
    try:
        number = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0
