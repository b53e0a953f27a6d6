"""Generic per-user notifications: a name, a JSON payload and a float timestamp.

There is at most one notification of a given name per user (the unique
constraint); adding one again replaces it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import db

if TYPE_CHECKING:
    from microblog.models import User


class Notification(db.Model):
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_notification_user_id_name"),
        Index("ix_notification_user_id_timestamp", "user_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    timestamp: Mapped[float]
    payload_json: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="notifications")

    def get_data(self) -> Any:
        return json.loads(self.payload_json)
