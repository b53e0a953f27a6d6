"""Likes: one per user and post (the primary key), so racing clicks cannot add two."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import db
from microblog.models.base import utcnow


class PostLike(db.Model):
    __tablename__ = "post_like"

    # (post_id, user_id): "does this reader like these posts" reads the primary key.
    post_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
