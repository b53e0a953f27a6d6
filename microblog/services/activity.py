"""Activity: recording what others do to a user, and the user's unseen count.

Services that follow, like, reply and mention call `record` and `withdraw` inside their
own transaction (no commit here). Nobody is told of their own actions.

The unseen count (the navbar's Activity badge) lives in the user's
`unseen_activity_count` notification, recomputed under the notification's row lock on
every change, as the unread-messages count is (services/messages.py): the badge poll then
reads one row and never counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from microblog.extensions import db
from microblog.models import Activity, Kind, User
from microblog.services import notifications

UNSEEN_ACTIVITY_COUNT = "unseen_activity_count"
# Counting stops here: the badge shows "99+" beyond 99.
COUNT_MAX = 100
EPOCH = datetime(1970, 1, 1)


def record(recipient_id: int, actor_id: int, kind: Kind, post_id: int | None = None) -> None:
    """`actor_id` did `kind` to `recipient_id` (on `post_id`); nothing for one's own acts."""
    if recipient_id == actor_id:
        return
    db.session.add(Activity(user_id=recipient_id, actor_id=actor_id, kind=kind, post_id=post_id))
    db.session.flush()
    refresh_unseen(recipient_id)


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
    """Recount after taking the notification's lock (each statement sees all commits)."""
    notifications.lock(user_id, UNSEEN_ACTIVITY_COUNT, 0)
    count = unseen_count(user_id)
    notifications.upsert(user_id, UNSEEN_ACTIVITY_COUNT, count)
    return count
