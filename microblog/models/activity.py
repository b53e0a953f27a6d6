"""Activity: what others did that concerns a user (followed them, liked, replied to or
mentioned their posts). The /activity page lists it; the navbar counts what is newer
than the user's `activity_seen_at`.

`post_id` is the liked post (like), the reply (reply) or the mentioning post (mention);
NULL for a follow. Deleting the post deletes its activity.

The page groups what happened many times: a kind on a post (or the follows) on one UTC day
is a group, one line. Each group's latest activity is its `head` and holds its
`group_count` (services/activity.py keeps both as activity comes and goes), so a page
reads its lines through an index, whatever the size of the user's history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import db
from microblog.models.base import utcnow


class Kind(StrEnum):
    FOLLOW = "follow"
    LIKE = "like"
    REPLY = "reply"
    MENTION = "mention"


class Activity(db.Model):
    __table_args__ = (
        # A user's activity, newest first, and "newer than when they last looked".
        Index("ix_activity_user_id_timestamp", "user_id", "timestamp"),
        # Withdrawing one (an unlike, an unfollow) finds it by what made it.
        Index("ix_activity_actor_id_kind", "actor_id", "kind"),
        # The page: a user's groups, by their latest activity, newest first.
        Index("ix_activity_user_id_head_timestamp_id", "user_id", "head", "timestamp", "id"),
        # A group's head, as activity joins or leaves it.
        Index("ix_activity_group", "user_id", "kind", "post_id", "head", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    # The latest of its group, and then how many the group holds (else what it held then).
    head: Mapped[bool] = mapped_column(default=True, server_default=true())
    group_count: Mapped[int] = mapped_column(default=1, server_default="1")
