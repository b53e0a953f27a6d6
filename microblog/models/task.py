"""Background jobs started by a user (e.g. exporting posts)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import db
from microblog.models.base import utcnow

if TYPE_CHECKING:
    from microblog.models import User


class Task(db.Model):
    __table_args__ = (Index("ix_task_user_id_complete", "user_id", "complete"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the job id
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    complete: Mapped[bool] = mapped_column(default=False)
    # queued, running, finished or failed; progress in percent; error for the user.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tasks")
