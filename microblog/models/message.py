"""Private messages between two users."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import db
from microblog.models.base import utcnow

if TYPE_CHECKING:
    from microblog.models import User


class Message(db.Model):
    __table_args__ = (
        # "Received by X, newest first" and "unread since T".
        Index("ix_message_recipient_id_timestamp", "recipient_id", "timestamp"),
        # A conversation: what X sent Y, newest first (each way for the pair). It also
        # serves the sender's foreign key, which had an index of its own until 0009.
        Index(
            "ix_message_sender_id_recipient_id_timestamp", "sender_id", "recipient_id", "timestamp"
        ),
        # One message per form, as for posts (migration 0007).
        Index("ix_message_sender_id_submission_key", "sender_id", "submission_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(140))
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    # The random key of the form that sent it (forms.SubmissionKey).
    submission_key: Mapped[str | None] = mapped_column(String(32))

    author: Mapped[User] = relationship(foreign_keys=[sender_id], back_populates="messages_sent")
    recipient: Mapped[User] = relationship(
        foreign_keys=[recipient_id], back_populates="messages_received"
    )

    def __repr__(self) -> str:
        return f"<Message {self.id}>"
