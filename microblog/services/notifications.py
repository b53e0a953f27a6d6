"""Per-user notifications: one row per (user, name), replaced when added again.

Adding is an upsert (INSERT .. ON CONFLICT DO UPDATE on the unique user_id+name), so
two requests adding the same notification at once never fail on the constraint and
never leave two rows. The timestamp doubles as a version: the badge carries it in
its URL and the server answers 204 while it has not changed.

The navbar shows two counts, `unread_message_count` and `unseen_activity_count`: `badges`
reads both with one statement, once per request (every full page and every badge poll
reads them; writes through this module keep what the request has read current).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Insert, bindparam, select

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Notification

UNREAD_MESSAGE_COUNT = "unread_message_count"
UNSEEN_ACTIVITY_COUNT = "unseen_activity_count"
# The navbar's counts, read together (`badges`).
BADGES = (UNREAD_MESSAGE_COUNT, UNSEEN_ACTIVITY_COUNT)


def _insert(values: dict[str, Any]) -> Insert:
    return upsert_insert(Notification).values(values)


def upsert(
    user_id: int,
    name: str,
    data: Any,
    timestamp: float | None = None,
    *,
    changed_only: bool = False,
) -> float:
    """Set `user_id`'s notification `name` inside the caller's transaction (no commit).

    On PostgreSQL the row stays locked until the caller commits: callers that
    derive `data` from other tables use that lock to serialise (see `lock`).
    `changed_only`: an existing row keeps its timestamp (its version) when it already
    holds `data`, so the badge poll keeps answering 204. Returns the new timestamp.
    """
    stamp = time.time() if timestamp is None else timestamp
    payload = json.dumps(data)
    statement = _insert(
        {"user_id": user_id, "name": name, "timestamp": stamp, "payload_json": payload}
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Notification.user_id, Notification.name],
        set_={"timestamp": stamp, "payload_json": payload},
        where=(Notification.payload_json != payload) if changed_only else None,
    )
    db.session.execute(statement)
    if changed_only:  # the stored timestamp is either: read it again if asked
        _read().pop((user_id, name), None)
    else:
        _read()[user_id, name] = (json.loads(payload), stamp)
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
    _read().pop((user_id, name), None)


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
    """`(data, timestamp)` of one notification, or None: one lookup on the unique index.
    Either navbar count is read with the other (`get_many`), which the navbar reads next."""
    if name in BADGES:
        return get_many(user_id, BADGES)[name]
    row = db.session.execute(_ONE, {"user_id": user_id, "name": name}).first()
    return None if row is None else (json.loads(row.payload_json), row.timestamp)


# The navbar's notifications of one user: one lookup on the unique index (user_id, name).
_SOME = select(Notification.name, Notification.payload_json, Notification.timestamp).where(
    Notification.user_id == bindparam("user_id"),
    Notification.name.in_(bindparam("names", expanding=True)),
)


def get_many(user_id: int, names: tuple[str, ...]) -> dict[str, tuple[Any, float] | None]:
    """`{name: (data, timestamp) or None}`, read with one statement, once per request: a
    page that reads them before drawing its navbar (/activity) reads them once."""
    read = _read()
    if missing := [name for name in names if (user_id, name) not in read]:
        params = {"user_id": user_id, "names": missing}
        found = {
            row.name: (json.loads(row.payload_json), row.timestamp)
            for row in db.session.execute(_SOME, params)
        }
        for name in missing:
            read[user_id, name] = found.get(name)
    return {name: read[user_id, name] for name in names}


def _read() -> dict[tuple[int, str], tuple[Any, float] | None]:
    """What this request has read of the notifications (nothing is kept outside one)."""
    return g.setdefault("notifications_read", {}) if has_request_context() else {}


@dataclass(frozen=True, slots=True)
class Badges:
    """The navbar's counts, and one version for both: the poll answers 204 while it holds."""

    messages: int
    activity: int
    version: float


def badges(user_id: int) -> Badges:
    """Unread messages and unseen activity of `user_id`: one indexed lookup at most.

    The version is the sum of both timestamps: it changes whenever either does (each
    write stamps the time of the writing worker). A maximum would miss a change stamped
    by a machine whose clock runs behind the other count's.
    """
    notes = get_many(user_id, BADGES)
    messages, message_stamp = _count(notes[UNREAD_MESSAGE_COUNT])
    activity, activity_stamp = _count(notes[UNSEEN_ACTIVITY_COUNT])
    return Badges(messages, activity, message_stamp + activity_stamp)


def _count(note: tuple[Any, float] | None) -> tuple[int, float]:
    if note is None:
        return 0, 0.0
    data, stamp = note
    return (data if isinstance(data, int) and not isinstance(data, bool) else 0), stamp


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
