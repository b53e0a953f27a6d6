"""Private messages and the unread count behind the navbar badge.

The count lives in the recipient's `unread_message_count` notification. It is never
incremented: every write recomputes it from the message table (an indexed range on
recipient_id + timestamp) while holding the notification's row lock, so concurrent
senders and readers (several workers, SQLite or PostgreSQL) cannot make it drift.
"""

from __future__ import annotations

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from microblog.extensions import db
from microblog.models import Message, Notification, User
from microblog.models.base import utcnow
from microblog.services import notifications
from microblog.services.listing import Item, Listing
from microblog.services.notifications import UNREAD_MESSAGE_COUNT
from microblog.services.pagination import Page
from microblog.services.posts import REPLAY_WINDOW


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


def send(sender: User, recipient: User, body: str, submission_key: str | None = None) -> Message:
    """Send a message, once per sending (as posts.create): the same submission key, or the
    same words as the sender's latest message to this recipient, younger than
    posts.REPLAY_WINDOW, get the message already stored."""
    if sender.id == recipient.id:
        raise MessageError("You cannot send a private message to yourself.")
    message = _by_submission(sender.id, submission_key) or _replay(sender, recipient, body)
    if message is not None:
        return message
    message = Message(
        sender_id=sender.id, recipient_id=recipient.id, body=body, submission_key=submission_key
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, sent at the same moment through another worker
        db.session.rollback()
        if (message := _by_submission(sender.id, submission_key)) is None:
            raise
        return message
    refresh_unread(recipient.id)
    db.session.commit()
    return message


def _replay(sender: User, recipient: User, body: str) -> Message | None:
    latest = db.session.scalar(
        select(Message)
        .where(Message.sender_id == sender.id, Message.recipient_id == recipient.id)
        .order_by(Message.timestamp.desc(), Message.id.desc())
        .limit(1)
    )
    if latest is not None and latest.body == body and latest.timestamp > utcnow() - REPLAY_WINDOW:
        return latest
    return None


def _by_submission(sender_id: int, submission_key: str | None) -> Message | None:
    if submission_key is None:
        return None
    return db.session.scalar(
        select(Message).where(
            Message.sender_id == sender_id, Message.submission_key == submission_key
        )
    )


def mark_read(user: User) -> datetime | None:
    """Mark every received message read; returns the previous read time.

    No write when the badge already says 0: visiting /messages again is read-only.
    """
    previous = user.last_message_read_time
    current = _note(user.id)
    if current is not None and current[0] == 0:
        return previous
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

    The navbar and /messages both read it; writes to the count drop it.
    """
    notes = _request_notes()
    if user_id not in notes:
        notes[user_id] = notifications.get(user_id, UNREAD_MESSAGE_COUNT)
    return notes[user_id]


def _request_notes() -> dict[int, tuple[Any, float] | None]:
    return g.setdefault("unread_notes", {}) if has_app_context() else {}


def _badge_of(note: tuple[Any, float] | None) -> tuple[int, float]:
    if note is None:
        return 0, 0.0
    data, stamp = note
    return (data if isinstance(data, int) else 0), stamp


def badge(user_id: int) -> tuple[int, float]:
    """`(unread count, version)` for the navbar badge: one indexed lookup at most."""
    return _badge_of(_note(user_id))


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
