"""Posts: at most 140 characters, with their language, replies, likes and mentions.

`like_count` and `reply_count` are kept by the services that add and remove likes and
replies (services/likes.py, services/posts.py), in the same transaction: a list row shows
them without counting. A reply keeps `reply_to_user_id` when the post it answers is
deleted (`reply_to_id` becomes NULL): it is then shown as replying to a deleted post.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import db
from microblog.models.base import utcnow

if TYPE_CHECKING:
    from microblog.models import User

BODY_MAX = 140


class Post(db.Model):
    __table_args__ = (
        # Profiles and the home of a reader who follows few: one author's posts, newest
        # first, ids included for the tie-break and the cursor (migration 0010).
        Index("ix_post_user_id_timestamp_id", "user_id", "timestamp", "id"),
        # Explore and every timeline's order (timestamp, then id): a page's ids come from
        # this index alone, deep pages included (migration 0002).
        Index("ix_post_timestamp_id", "timestamp", "id"),
        # One post per form: the same submission key twice is the same post (a double
        # click, a resent POST), whichever worker sees it second (migration 0007).
        Index("ix_post_user_id_submission_key", "user_id", "submission_key", unique=True),
        # A thread: the replies to a post, oldest first (migration 0008).
        Index("ix_post_reply_to_id_timestamp", "reply_to_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(BODY_MAX))
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    language: Mapped[str | None] = mapped_column(String(5))
    # The random key of the form that wrote it (forms.SubmissionKey); NULL from the API.
    submission_key: Mapped[str | None] = mapped_column(String(32))
    # Set when the author changes the text (the "edited" mark).
    edited_at: Mapped[datetime | None]
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    reply_to_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The users the text mentions (`@name`), as space-separated usernames, when it was
    # written: the row links only these (services/mentions.py).
    mentions: Mapped[str | None] = mapped_column(String(BODY_MAX))

    author: Mapped[User] = relationship(back_populates="posts", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Post {self.id}>"
