"""Conversations: what one user's inbox shows of their exchange with another.

One row per (user, other), for both sides of every pair that has exchanged a message, kept
by services/messages.py `send` in the message's own transaction: the latest message (its
id and time, for the inbox's order and preview) and two counters of the messages `other`
sent to `user`:

- `unread`: newer than `read_at`, when `user` last opened this conversation;
- `unseen`: unread, and newer than `user.last_message_read_time` too (when they last
  opened /messages). The navbar badge counts these: the sum over the user's rows.

So /messages reads one row per conversation (an index range on user_id + timestamp), never
the messages themselves, however many there are.

`last_message_id` has no foreign key: a message is only deleted with its sender or
recipient, which deletes this row too (and a key would need one more index, written at
every message, for deletes that never happen otherwise).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import db


class Conversation(db.Model):
    __table_args__ = (
        # A user's conversations, latest message first.
        Index("ix_conversation_user_id_timestamp", "user_id", "timestamp"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_message_id: Mapped[int]
    timestamp: Mapped[datetime]
    unread: Mapped[int] = mapped_column(default=0, server_default="0")
    unseen: Mapped[int] = mapped_column(default=0, server_default="0")
    read_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Conversation {self.user_id}:{self.other_id}>"
