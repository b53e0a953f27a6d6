"""Private messages and the unread count behind the navbar badge.

The count lives in the recipient's `unread_message_count` notification. It is never
incremented: every write recomputes it from the message table (an indexed range on
recipient_id + timestamp) while holding the notification's row lock, so concurrent
senders and readers (several workers, SQLite or PostgreSQL) cannot make it drift.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import (
    Select,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from microblog.database import begin_writes, is_sqlite
from microblog.extensions import db
from microblog.models import Message, Notification, User
from microblog.models.base import utcnow
from microblog.models.user import session_id, user_id_of
from microblog.services import notifications
from microblog.services.listing import Item, Listing
from microblog.services.notifications import UNREAD_MESSAGE_COUNT
from microblog.services.pagination import Page


class MessageError(ValueError):
    """A message that the rules refuse (to yourself)."""


def _unread_count_query(user_id: int) -> Select:
    """Messages newer than the user's last read time, read in the same statement."""
    read_time = select(User.last_message_read_time).where(User.id == user_id).scalar_subquery()
    return select(func.count(Message.id)).where(
        Message.recipient_id == user_id,
        Message.timestamp > func.coalesce(read_time, datetime(1970, 1, 1)),
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(_unread_count_query(user_id)) or 0


def refresh_unread(user_id: int) -> int:
    """Recount after taking the notification's lock (each statement sees all commits)."""
    notifications.lock(user_id, UNREAD_MESSAGE_COUNT, 0)
    count = unread_count(user_id)
    notifications.upsert(user_id, UNREAD_MESSAGE_COUNT, count)
    _request_notes().pop(user_id, None)
    return count


def send(sender: User, recipient: User, body: str) -> Message:
    if sender.id == recipient.id:
        raise MessageError("You cannot send a private message to yourself.")
    message = Message(sender_id=sender.id, recipient_id=recipient.id, body=body)
    db.session.add(message)
    db.session.flush()
    refresh_unread(recipient.id)
    db.session.commit()
    return message


def mark_read(user: User) -> datetime | None:
    """Mark every received message read; returns the previous read time.

    No write when the badge already says 0: visiting /messages again is read-only.
    """
    previous = user.last_message_read_time
    current = _note(user.id)
    if current is not None and current[0] == 0:
        return previous
    begin_writes()
    notifications.lock(user.id, UNREAD_MESSAGE_COUNT, 0)
    now = utcnow()
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(last_message_read_time=now)
        .execution_options(synchronize_session=False)
    )
    notifications.upsert(user.id, UNREAD_MESSAGE_COUNT, unread_count(user.id))
    _request_notes().pop(user.id, None)
    db.session.commit()
    set_committed_value(user, "last_message_read_time", now)
    return previous


RECEIVED = Listing(Message, Message.recipient_id == bindparam("recipient_id"))


def received(user: User, page: object) -> Page[Item]:
    """Messages received by `user`, newest first."""
    return RECEIVED.page(page, recipient_id=user.id)


def _note(user_id: int) -> tuple[Any, float] | None:
    """The user's unread-count notification `(data, timestamp)`, once per request.

    The user load fills this in (`load_user`); writes to the count drop it.
    """
    notes = _request_notes()
    if user_id not in notes:
        notes[user_id] = notifications.get(user_id, UNREAD_MESSAGE_COUNT)
    return notes[user_id]


def _request_notes() -> dict[int, tuple[Any, float] | None]:
    return g.setdefault("unread_notes", {}) if has_app_context() else {}


def _note_of(payload: str | None, stamp: float | None) -> tuple[Any, float] | None:
    return None if payload is None or stamp is None else (json.loads(payload), stamp)


def _badge_of(note: tuple[Any, float] | None) -> tuple[int, float]:
    if note is None:
        return 0, 0.0
    data, stamp = note
    return (data if isinstance(data, int) else 0), stamp


def badge(user_id: int) -> tuple[int, float]:
    """`(unread count, version)` for the navbar badge: one indexed lookup at most."""
    return _badge_of(_note(user_id))


# One statement, built once: the user (must exist) and their badge notification. Table
# columns, not ORM attributes: the badge poll runs it on a bare connection (no Session).
_users, _notes = User.__table__.c, Notification.__table__.c
_BADGE_NOTE = (_notes.user_id == _users.id) & (_notes.name == UNREAD_MESSAGE_COUNT)
_USER_BADGE = (
    select(_users.id, _users.password_hash, _notes.payload_json, _notes.timestamp)
    .outerjoin(Notification.__table__, _BADGE_NOTE)
    .where(_users.id == bindparam("user_id"))
)
# The same with the User object, for the user load of every other request.
_USER_WITH_BADGE = (
    select(User, _notes.payload_json, _notes.timestamp)
    .outerjoin(Notification.__table__, _BADGE_NOTE)
    .where(User.id == bindparam("user_id"))
)


def load_user(user_id: int) -> User | None:
    """The user, with their badge read in the same statement (every page shows it)."""
    row = db.session.execute(_USER_WITH_BADGE, {"user_id": user_id}).first()
    if row is None:
        return None
    user, payload, stamp = row
    _request_notes()[user_id] = _note_of(payload, stamp)
    return user


def user_badge(stored: str) -> tuple[int, float] | None:
    """`badge(user_id)` for a session's stored `session_id`, or None if that user is gone
    or has a new password since: one statement, no User object.

    The badge poll (every open tab, every 10 s) calls this with the session's user id
    instead of loading the user through Flask-Login and then reading the notification.
    One read needs no transaction: in autocommit mode PostgreSQL gets the statement alone,
    without a BEGIN before it and a ROLLBACK when the connection goes back to the pool
    (0.98 -> 0.53 ms here). SQLite's driver already reads outside a transaction, and
    switching its mode back and forth would cost more than it saves (0.07 -> 0.14 ms).
    """
    user_id = user_id_of(stored)
    if user_id is None:
        return None
    connection = db.engine.connect()
    if not is_sqlite(db.engine):
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    with connection:
        row = connection.execute(_USER_BADGE, {"user_id": user_id}).first()
    if row is None or session_id(row.id, row.password_hash) != stored:
        return None
    return _badge_of(_note_of(row.payload_json, row.timestamp))


def refresh_all_unread_counts() -> None:
    """Set every user's unread count in two bulk statements (demo data); no commit."""
    db.session.execute(delete(Notification).where(Notification.name == UNREAD_MESSAGE_COUNT))
    counted = (
        select(
            User.id,
            literal(UNREAD_MESSAGE_COUNT),
            literal(time.time()),
            cast(func.count(Message.id), String),
        )
        .select_from(User)
        .outerjoin(
            Message,
            (Message.recipient_id == User.id)
            & (
                User.last_message_read_time.is_(None)
                | (Message.timestamp > User.last_message_read_time)
            ),
        )
        .group_by(User.id)
    )
    db.session.execute(
        insert(Notification).from_select(["user_id", "name", "timestamp", "payload_json"], counted)
    )
