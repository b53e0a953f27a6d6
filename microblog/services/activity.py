"""Activity: recording what others do to a user, and the user's unseen count.

Services that follow, like, reply and mention call `record` and `withdraw` inside their
own transaction (no commit here). Nobody is told of their own actions.

The unseen count (the navbar's Activity badge) lives in the user's
`unseen_activity_count` notification, recomputed under the notification's row lock on
every change, as the unread-messages count is (services/messages.py): the badge poll then
reads one row and never counts. An activity is timestamped after its recorder takes that
lock, so whatever a visit to /activity marks seen "as of now" is exactly what was
committed before it.

The /activity page (`page`) groups what happened many times: the likes of one post on one
day, the follows of one day ("ana and 3 others liked your post"), in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, User
from microblog.models.base import utcnow
from microblog.services import notifications
from microblog.services.listing import Author
from microblog.services.notifications import UNSEEN_ACTIVITY_COUNT
from microblog.services.pagination import Order, Page, cursor_after, paginate_rows

# Counting stops here: the badge shows "99+" beyond 99.
COUNT_MAX = 100
EPOCH = datetime(1970, 1, 1)


def record(recipient_id: int, actor_id: int, kind: Kind, post_id: int | None = None) -> None:
    """`actor_id` did `kind` to `recipient_id` (on `post_id`); nothing for one's own acts."""
    if recipient_id == actor_id:
        return
    notifications.lock(recipient_id, UNSEEN_ACTIVITY_COUNT, 0)
    # Timestamped after the lock: see the module's docstring.
    db.session.add(
        Activity(
            user_id=recipient_id, actor_id=actor_id, kind=kind, post_id=post_id, timestamp=utcnow()
        )
    )
    db.session.flush()
    count = unseen_count(recipient_id)
    notifications.upsert(recipient_id, UNSEEN_ACTIVITY_COUNT, count, changed_only=True)


def withdraw(recipient_id: int, actor_id: int, kind: Kind, post_id: int | None = None) -> None:
    """Take back what `record` recorded (an unlike, an unfollow, a mention edited away)."""
    if recipient_id == actor_id:
        return
    result = db.session.execute(
        delete(Activity).where(
            Activity.user_id == recipient_id,
            Activity.actor_id == actor_id,
            Activity.kind == kind,
            Activity.post_id.is_(None) if post_id is None else Activity.post_id == post_id,
        )
    )
    if result.rowcount:
        refresh_unseen(recipient_id)


def recipients_of_post(post_id: int) -> list[int]:
    """Whose activity mentions `post_id`: their counts change when the post goes."""
    query = select(Activity.user_id).where(Activity.post_id == post_id).distinct()
    return list(db.session.scalars(query))


def unseen_count(user_id: int) -> int:
    """Activity newer than the user's last visit to /activity, counted up to COUNT_MAX."""
    seen = select(User.activity_seen_at).where(User.id == user_id).scalar_subquery()
    newer = (
        select(Activity.id)
        .where(Activity.user_id == user_id, Activity.timestamp > func.coalesce(seen, EPOCH))
        .limit(COUNT_MAX)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(newer)) or 0


def refresh_unseen(user_id: int) -> int:
    """Recount after taking the notification's lock (each statement sees all commits). An
    unchanged count keeps its version (withdrawing what was seen already changes nothing
    the navbar shows)."""
    notifications.lock(user_id, UNSEEN_ACTIVITY_COUNT, 0)
    count = unseen_count(user_id)
    notifications.upsert(user_id, UNSEEN_ACTIVITY_COUNT, count, changed_only=True)
    return count


def mark_seen(user: User) -> datetime | None:
    """The user opens /activity: nothing in it is unseen any more, the count goes to 0.
    Returns when they looked before (None: never), to mark what is new on this visit.

    No write when the count already says 0: visiting again is read-only (and reads the
    count the navbar reads, once: notifications.get_many).
    """
    previous = user.activity_seen_at
    if not notifications.badges(user.id).activity:
        return previous
    notifications.lock(user.id, UNSEEN_ACTIVITY_COUNT, 0)
    now = utcnow()
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(activity_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    notifications.upsert(user.id, UNSEEN_ACTIVITY_COUNT, 0)
    db.session.commit()
    set_committed_value(user, "activity_seen_at", now)
    return previous


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of /activity: `count` times `kind` (on `post_id`), the latest by `actor`."""

    id: int  # the latest activity's
    kind: str
    count: int
    timestamp: datetime  # the latest
    actor: Author
    post_id: int | None
    body: str | None  # the post's (the liked post, the reply, the mentioning post)
    mentions: str | None

    @property
    def others(self) -> int:
        """How many did the same besides `actor` ("ana and 3 others")."""
        return self.count - 1


# What happened to `:user_id`, grouped: a kind, a post (none for a follow) and a day (UTC).
# Each group is one line: its count, latest time and latest activity; the page's lines are
# then joined to that activity's actor and to the post. One statement, built once. Its
# lines go by (latest time, latest id), so "older activity" continues after the last line
# shown (a cursor: services/pagination.py); a group that grows moves to the top.
_groups = (
    select(
        Activity.kind,
        Activity.post_id,
        func.count().label("count"),
        func.max(Activity.timestamp).label("latest"),
        func.max(Activity.id).label("latest_id"),
    )
    .where(Activity.user_id == bindparam("user_id"))
    .group_by(Activity.kind, Activity.post_id, func.date(Activity.timestamp))
    .having(cursor_after(func.max(Activity.timestamp), func.max(Activity.id)))
    .order_by(func.max(Activity.timestamp).desc(), func.max(Activity.id).desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
    .subquery("grouped")
)
ENTRIES = (
    select(
        _groups.c.latest_id,
        _groups.c.kind,
        _groups.c.count,
        _groups.c.latest,
        User.id,
        User.username,
        User.email,
        User.avatar_version,
        _groups.c.post_id,
        Post.body,
        Post.mentions,
    )
    .select_from(_groups)
    .join(Activity, Activity.id == _groups.c.latest_id)
    .join(User, User.id == Activity.actor_id)
    .outerjoin(Post, Post.id == _groups.c.post_id)
    .order_by(_groups.c.latest.desc(), _groups.c.latest_id.desc())
)


def page(user: User, number: object) -> Page[Entry]:
    """Page `number` of `user`'s activity, newest first, grouped."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    return paginate_rows(
        ENTRIES, number, per_page, _entry, order=Order.NEWEST_FIRST, user_id=user.id
    )


def _entry(row: Row[Any]) -> Entry:
    entry_id, kind, count, latest, user_id, username, email, avatar_version, *post = row
    post_id, body, mentions = post
    actor = Author(user_id, username, email, avatar_version)
    return Entry(entry_id, kind, count, latest, actor, post_id, body, mentions)
