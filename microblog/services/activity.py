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
day, the follows of one day ("ana and 3 others liked your post"). `record` and `withdraw`
keep each group's head and count (models/activity.py), under the same lock, so a page is
one indexed statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, bindparam, case, delete, func, or_, select, true, update
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
    """`actor_id` did `kind` to `recipient_id` (on `post_id`); nothing for one's own acts.
    It becomes the head of its group (models/activity.py), counting the one before."""
    if recipient_id == actor_id:
        return
    notifications.lock(recipient_id, UNSEEN_ACTIVITY_COUNT, 0)
    # Timestamped after the lock: see the module's docstring. Under the lock, too, the
    # group's head is the one this user's activity changes.
    now = utcnow()
    before = db.session.execute(
        select(Activity.id, Activity.group_count).where(
            *_group(recipient_id, kind, post_id, now), Activity.head == true()
        )
    ).first()
    if before is not None:
        db.session.execute(
            update(Activity)
            .where(Activity.id == before.id)
            .values(head=False)
            .execution_options(synchronize_session=False)
        )
    db.session.add(
        Activity(
            user_id=recipient_id,
            actor_id=actor_id,
            kind=kind,
            post_id=post_id,
            timestamp=now,
            head=True,
            group_count=before.group_count + 1 if before is not None else 1,
        )
    )
    db.session.flush()
    count = unseen_count(recipient_id)
    notifications.upsert(recipient_id, UNSEEN_ACTIVITY_COUNT, count, changed_only=True)


def withdraw(recipient_id: int, actor_id: int, kind: Kind, post_id: int | None = None) -> None:
    """Take back what `record` recorded (an unlike, an unfollow, a mention edited away); the
    groups it was in get their head and count again."""
    if recipient_id == actor_id:
        return
    notifications.lock(recipient_id, UNSEEN_ACTIVITY_COUNT, 0)
    made = (
        Activity.user_id == recipient_id,
        Activity.actor_id == actor_id,
        Activity.kind == kind,
        Activity.post_id.is_(None) if post_id is None else Activity.post_id == post_id,
    )
    moments = list(db.session.scalars(select(Activity.timestamp).where(*made)))
    if not moments:
        return
    db.session.execute(delete(Activity).where(*made))
    for day in {_day(moment) for moment in moments}:
        _regroup(*_group(recipient_id, kind, post_id, day))
    refresh_unseen(recipient_id)


def _day(moment: datetime) -> datetime:
    """The start of `moment`'s UTC day: a group's activity all lies within one."""
    return datetime.combine(moment.date(), time())


def _group(user_id: int, kind: str, post_id: int | None, moment: datetime) -> tuple:
    """The conditions for the activity of the group `moment` falls in."""
    start = _day(moment)
    return (
        Activity.user_id == user_id,
        Activity.kind == kind,
        Activity.post_id.is_(None) if post_id is None else Activity.post_id == post_id,
        Activity.timestamp >= start,
        Activity.timestamp < start + timedelta(days=1),
    )


def regroup_all(user_id: int | None = None) -> None:
    """Give every group of `user_id`'s activity (everyone's: None) its head and count: after
    a bulk load (the seed), whose activity did not come through `record`."""
    _regroup(*(() if user_id is None else (Activity.user_id == user_id,)))


def _regroup(*where: Any) -> None:
    """Give each group among the activity `where` selects (whole groups: a user's, or one
    group, `_group`) its head, the latest, holding its count. One statement, which writes
    only the rows that change (a row alone in its group is right already)."""
    group = (Activity.user_id, Activity.kind, Activity.post_id, func.date(Activity.timestamp))
    ranked = (
        select(
            Activity.id,
            func.row_number()
            .over(partition_by=group, order_by=(Activity.timestamp.desc(), Activity.id.desc()))
            .label("place"),
            func.count().over(partition_by=group).label("size"),
        )
        .where(*where)
        .subquery()
    )
    lead = ranked.c.place == 1
    db.session.execute(
        update(Activity)
        .where(
            Activity.id == ranked.c.id,
            or_(Activity.head != lead, and_(lead, Activity.group_count != ranked.c.size)),
        )
        .values(head=lead, group_count=case((lead, ranked.c.size), else_=Activity.group_count))
        .execution_options(synchronize_session=False)
    )


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


# What happened to `:user_id`, grouped: a group's line is its head (models/activity.py),
# with its count, joined to its actor and its post; newest first, and "older activity"
# continues after the last line shown (a cursor: services/pagination.py). A group that grows
# moves to the top. One statement, built once, through ix_activity_user_id_head_timestamp_id.
ENTRIES = (
    select(
        Activity.id,
        Activity.kind,
        Activity.group_count,
        Activity.timestamp,
        User.id,
        User.username,
        User.email,
        User.avatar_version,
        Activity.post_id,
        Post.body,
        Post.mentions,
    )
    .join(User, User.id == Activity.actor_id)
    .outerjoin(Post, Post.id == Activity.post_id)
    .where(
        Activity.user_id == bindparam("user_id"),
        Activity.head == true(),
        cursor_after(Activity.timestamp, Activity.id),
    )
    .order_by(Activity.timestamp.desc(), Activity.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
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
