"""Private messages, conversations and the unread count behind the navbar badge.

The count lives in the recipient's `unread_message_count` notification: the unread
messages they have not seen in /messages either (services/conversations.py keeps them per
conversation). Every write of a user's counters happens while holding that notification's
row lock, and the count is then summed again from the user's conversation rows, so
concurrent senders and readers (several workers, SQLite or PostgreSQL) cannot make it
drift. A message is timestamped after its sender takes the lock: whatever a reader marks
read "as of now" is exactly what was committed before.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import (
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
from microblog.models import Conversation, Message, Notification, User
from microblog.models.base import utcnow
from microblog.services import conversations, notifications
from microblog.services.listing import Item, Listing
from microblog.services.notifications import UNREAD_MESSAGE_COUNT
from microblog.services.pagination import Page
from microblog.services.posts import REPLAY_WINDOW


class MessageError(ValueError):
    """A message that the rules refuse (to yourself)."""


def unread_count(user_id: int) -> int:
    """What the badge shows: unread messages not seen in /messages either."""
    return conversations.unseen(user_id)


def _recount(user_id: int) -> int:
    """Store the user's count (the caller holds their lock)."""
    count = unread_count(user_id)
    notifications.upsert(user_id, UNREAD_MESSAGE_COUNT, count)
    _request_notes().pop(user_id, None)
    return count


def refresh_unread(user_id: int) -> int:
    """Rebuild the user's conversations from the message table and recount, under the
    lock (a repair, or after storing messages directly); no commit."""
    notifications.lock(user_id, UNREAD_MESSAGE_COUNT, 0)
    conversations.rebuild(user_id)
    return _recount(user_id)


def send(sender: User, recipient: User, body: str, submission_key: str | None = None) -> Message:
    """Send a message, once per sending (as posts.create): the same submission key, or the
    same words as the sender's latest message to this recipient, younger than
    posts.REPLAY_WINDOW, get the message already stored."""
    if sender.id == recipient.id:
        raise MessageError("You cannot send a private message to yourself.")
    message = _by_submission(sender.id, submission_key) or _replay(sender, recipient, body)
    if message is not None:
        return message
    notifications.lock(recipient.id, UNREAD_MESSAGE_COUNT, 0)
    message = Message(
        sender_id=sender.id,
        recipient_id=recipient.id,
        body=body,
        submission_key=submission_key,
        timestamp=utcnow(),  # after the lock: see the module's docstring
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, sent at the same moment through another worker
        db.session.rollback()
        if (message := _by_submission(sender.id, submission_key)) is None:
            raise
        return message
    conversations.record(message)
    _recount(recipient.id)
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
    """The user opens /messages: the badge's count goes to 0 (nothing is new to them), each
    conversation keeps its unread messages until it is opened. Returns the previous time.

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
    conversations.mark_seen(user.id)
    _recount(user.id)
    db.session.commit()
    set_committed_value(user, "last_message_read_time", now)
    return previous


def read_conversation(user: User, other: User) -> datetime | None:
    """The user opens their conversation with `other`: its messages are read, and the badge
    loses those it counted. Returns when it was read before (None: never).

    No write when nothing in it is unread. A message that arrives between this and the page's
    query is shown and stays unread: the next visit reads it.
    """
    unread, read_before = conversations.state(user.id, other.id)
    if not unread:
        return read_before
    notifications.lock(user.id, UNREAD_MESSAGE_COUNT, 0)
    conversations.mark_read(user.id, other.id, utcnow())
    _recount(user.id)
    db.session.commit()
    return read_before


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
    """Rebuild every conversation from the messages and set every user's unread count, in
    four bulk statements (demo data); no commit."""
    conversations.rebuild()
    db.session.execute(delete(Notification).where(Notification.name == UNREAD_MESSAGE_COUNT))
    counted = (
        select(
            User.id,
            literal(UNREAD_MESSAGE_COUNT),
            literal(time.time()),
            cast(func.coalesce(func.sum(Conversation.unseen), 0), String),
        )
        .select_from(User)
        .outerjoin(Conversation, Conversation.user_id == User.id)
        .group_by(User.id)
    )
    db.session.execute(
        insert(Notification).from_select(["user_id", "name", "timestamp", "payload_json"], counted)
    )
