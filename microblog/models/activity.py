"""Activity: what others did that concerns a user (followed them, liked, replied to or
mentioned their posts). The /activity page lists it; the navbar counts what is newer
than the user's `activity_seen_at`.

`post_id` is the liked post (like), the reply (reply) or the mentioning post (mention);
NULL for a follow. Deleting the post deletes its activity.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
