"""Conversations: the inbox (one row per correspondent) and the exchange with one of them.

The rows of models/conversation.py are written here only, inside the transaction of
services/messages.py that stores a message or marks messages read, after it has taken the
unread-count lock of the user whose counters change (notifications.lock). Nothing here
commits.

The inbox reads those rows (an index range on user_id + timestamp, whatever the number of
messages). One exchange is two index ranges on (sender_id, recipient_id, timestamp), one
each way, each cut at the page's end before they are merged: a page costs what its
position costs, not what the whole exchange does.

Both lists also continue after an item (pagination.cursor_after, SPEC 23): "older" names
the last conversation or message shown, so what is sent meanwhile never makes the next page
repeat or skip one. A conversation's place is its latest message's time and the other
user's id; it moves to the top when a message comes, above every cursor drawn before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import (
    Integer,
    Row,
    Select,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import aliased

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Conversation, Message, User
from microblog.services.listing import Author, Item
from microblog.services.pagination import Key, Order, Page, cursor_after, paginate_rows

# A reply's answer shows at most this many messages that came since the page was drawn.
SINCE_MAX = 100


@dataclass(frozen=True, slots=True)
class Summary:
    """A conversation as its row in /messages shows it."""

    other: Author
    timestamp: datetime
    unread: int  # messages from `other` not read yet
    body: str  # the latest message, either way
    own: bool  # the latest message is the reader's


def record(message: Message) -> None:
    """Enter a new message in both sides' rows (made on the first message of the pair):
    it is the latest, and one more unread and unseen message for the recipient.

    One statement; its rows are in key order, so two opposite senders of a pair lock them
    in the same order. The latest stays the latest when an older message is recorded after
    a newer one (the two directions take different locks)."""
    mine = {"user_id": message.sender_id, "other_id": message.recipient_id, "n": 0}
    theirs = {"user_id": message.recipient_id, "other_id": message.sender_id, "n": 1}
    rows = [
        {
            "user_id": row["user_id"],
            "other_id": row["other_id"],
            "last_message_id": message.id,
            "timestamp": message.timestamp,
            "unread": row["n"],
            "unseen": row["n"],
        }
        for row in sorted((mine, theirs), key=lambda row: (row["user_id"], row["other_id"]))
    ]
    statement = upsert_insert(Conversation).values(rows)
    new, old = statement.excluded, Conversation
    newer = new.timestamp >= old.timestamp
    statement = statement.on_conflict_do_update(
        index_elements=[Conversation.user_id, Conversation.other_id],
        set_={
            "last_message_id": case(
                (newer, new.last_message_id), else_=Conversation.last_message_id
            ),
            "timestamp": case((newer, new.timestamp), else_=Conversation.timestamp),
            "unread": Conversation.unread + new.unread,
            "unseen": Conversation.unseen + new.unseen,
        },
    )
    db.session.execute(statement)


_STATE = select(Conversation.unread, Conversation.read_at).where(
    Conversation.user_id == bindparam("user_id"), Conversation.other_id == bindparam("other_id")
)


def state(user_id: int, other_id: int) -> tuple[int, datetime | None]:
    """`(unread, read_at)` of `user_id`'s conversation with `other_id`; (0, None) if none."""
    row = db.session.execute(_STATE, {"user_id": user_id, "other_id": other_id}).first()
    return (0, None) if row is None else (row.unread, row.read_at)


def mark_read(user_id: int, other_id: int, now: datetime) -> None:
    """Every message of the conversation is read (and seen) as of `now`."""
    db.session.execute(
        update(Conversation)
        .where(Conversation.user_id == user_id, Conversation.other_id == other_id)
        .values(unread=0, unseen=0, read_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_seen(user_id: int) -> None:
    """The user has looked at their inbox: no unread message is new to them any more (the
    badge's count), though each stays unread until its conversation is opened."""
    db.session.execute(
        update(Conversation)
        .where(Conversation.user_id == user_id, Conversation.unseen > 0)
        .values(unseen=0)
        .execution_options(synchronize_session=False)
    )


_UNSEEN = select(func.coalesce(func.sum(Conversation.unseen), 0)).where(
    Conversation.user_id == bindparam("user_id")
)


def unseen(user_id: int) -> int:
    """What the badge counts: unread messages the user has not seen in the inbox either."""
    return db.session.execute(_UNSEEN, {"user_id": user_id}).scalar_one()


# --- Reading ---------------------------------------------------------------------------------

INBOX = (
    select(
        Conversation.timestamp,
        Conversation.unread,
        Message.body,
        Message.sender_id,
        User.id,
        User.username,
        User.email,
        User.avatar_version,
    )
    .join(User, User.id == Conversation.other_id)
    .outerjoin(Message, Message.id == Conversation.last_message_id)
    .where(
        Conversation.user_id == bindparam("user_id"),
        cursor_after(Conversation.timestamp, Conversation.other_id),
    )
    .order_by(Conversation.timestamp.desc(), Conversation.other_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def inbox(user: User, page: object) -> Page[Summary]:
    """The user's conversations, latest message first."""

    def summary(row: Row[Any]) -> Summary:
        timestamp, unread, body, sender_id, *author = row
        return Summary(Author(*author), timestamp, unread, body or "", sender_id == user.id)

    per_page = current_app.config["POSTS_PER_PAGE"]
    return paginate_rows(
        INBOX, page, per_page, summary, order=Order.NEWEST_FIRST, key=_place, user_id=user.id
    )


def _place(summary: Summary) -> Key:
    """A conversation's place in the inbox: its latest message's time, the other's id."""
    return summary.timestamp, summary.other.id


# How far each way reads: to the page's end, its offset plus its limit (a page by number
# counts from the newest message; a cursor's page, or a view, from its cursor on). Typed, so
# PostgreSQL adds two integers, not the smallest type each value fits in (smallint).
_REACH = bindparam("limit", type_=Integer) + bindparam("offset", type_=Integer)


def _one_way(sender: str, recipient: str) -> Any:
    """What `sender` sent `recipient`, newest first, after the cursor (if any), as far as
    the page's end."""
    return (
        select(Message.id, Message.timestamp)
        .where(
            Message.sender_id == bindparam(sender),
            Message.recipient_id == bindparam(recipient),
            cursor_after(Message.timestamp, Message.id),
        )
        .order_by(Message.timestamp.desc(), Message.id.desc())
        .limit(_REACH)
        .subquery()
    )


# A message as its row shows it (`_item`): the message, then its sender.
_ROW = (
    Message.id,
    Message.body,
    Message.timestamp,
    User.id,
    User.username,
    User.email,
    User.avatar_version,
)


def _both_ways() -> Select:
    sent, received = _one_way("user_id", "other_id"), _one_way("other_id", "user_id")
    both = union_all(select(sent), select(received)).subquery()
    ids = (
        select(both.c.id)
        .order_by(both.c.timestamp.desc(), both.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return (
        select(*_ROW)
        .join(User, User.id == Message.sender_id)
        .where(Message.id.in_(ids.scalar_subquery()))
        .order_by(Message.timestamp.desc(), Message.id.desc())
    )


EXCHANGE = _both_ways()


def _item(row: Row[Any]) -> Item:
    message_id, body, timestamp, *author = row
    return Item(message_id, body, timestamp, Author(*author))


def exchange(user: User, other: User, page: object) -> Page[Item]:
    """Page `page` (a number or a cursor) of the messages between the two, newest first
    (pages show them oldest first: the template turns each page round)."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    return paginate_rows(
        EXCHANGE,
        page,
        per_page,
        _item,
        order=Order.NEWEST_FIRST,
        user_id=user.id,
        other_id=other.id,
    )


def since(user: User, other: User, after: int) -> list[Item]:
    """The messages between the two with an id above `after` (the last one a page shows),
    oldest first: at most the newest SINCE_MAX."""
    between = or_(
        (Message.sender_id == user.id) & (Message.recipient_id == other.id),
        (Message.sender_id == other.id) & (Message.recipient_id == user.id),
    )
    statement = (
        select(*_ROW)
        .join(User, User.id == Message.sender_id)
        .where(between, Message.id > after)
        .order_by(Message.timestamp.desc(), Message.id.desc())
        .limit(SINCE_MAX)
    )
    return [_item(row) for row in reversed(db.session.execute(statement).all())]


# --- Rebuilding from the messages -----------------------------------------------------------


def _rebuilt(user_id: int | None) -> Select:
    """Each conversation's row as the message table says (every row, or `user_id`'s own).

    A full rebuild counts as read what came before the user's last visit to /messages (the
    course's rule, all it had); one user's keeps the read times of their rows (a new row
    has none). Unseen messages are also newer than that last visit.
    """
    received = select(
        Message.recipient_id.label("user_id"),
        Message.sender_id.label("other_id"),
        Message.id.label("message_id"),
        Message.timestamp.label("timestamp"),
        literal(1).label("incoming"),
    )
    sent = select(
        Message.sender_id, Message.recipient_id, Message.id, Message.timestamp, literal(0)
    )
    if user_id is not None:
        received = received.where(Message.recipient_id == user_id)
        sent = sent.where(Message.sender_id == user_id)
    sides = union_all(received, sent).subquery()
    seen_at = User.last_message_read_time
    kept = aliased(Conversation)
    read_at = seen_at if user_id is None else kept.read_at
    stamp = sides.c.timestamp
    unread = (sides.c.incoming == 1) & (read_at.is_(None) | (stamp > read_at))
    unseen = unread & (seen_at.is_(None) | (stamp > seen_at))
    pair = (sides.c.user_id, sides.c.other_id)
    ranked = select(
        sides.c.user_id,
        sides.c.other_id,
        sides.c.message_id,
        stamp,
        func.sum(case((unread, 1), else_=0)).over(partition_by=pair).label("unread"),
        func.sum(case((unseen, 1), else_=0)).over(partition_by=pair).label("unseen"),
        read_at.label("read_at"),
        func.row_number()
        .over(partition_by=pair, order_by=(stamp.desc(), sides.c.message_id.desc()))
        .label("rank"),
    ).join(User, User.id == sides.c.user_id)
    if user_id is not None:
        ranked = ranked.outerjoin(
            kept, (kept.user_id == sides.c.user_id) & (kept.other_id == sides.c.other_id)
        )
    ranked = ranked.subquery()
    return select(*(ranked.c[name] for name in REBUILT)).where(ranked.c.rank == 1)


REBUILT = ("user_id", "other_id", "message_id", "timestamp", "unread", "unseen", "read_at")
COLUMNS = ("user_id", "other_id", "last_message_id", "timestamp", "unread", "unseen", "read_at")


def rebuild(user_id: int | None = None) -> None:
    """Rebuild every conversation row from the messages (demo data), or only `user_id`'s
    (a repair, under that user's unread-count lock); no commit."""
    if user_id is None:
        db.session.execute(delete(Conversation))
        db.session.execute(insert(Conversation).from_select(COLUMNS, _rebuilt(None)))
        return
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in db.session.execute(_rebuilt(user_id))]
    db.session.execute(delete(Conversation).where(Conversation.user_id == user_id))
    if rows:
        db.session.execute(insert(Conversation), rows)
