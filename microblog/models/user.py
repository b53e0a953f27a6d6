"""Accounts and the follower graph."""

from __future__ import annotations

from datetime import datetime
from hashlib import md5
from typing import TYPE_CHECKING

from flask import current_app, url_for
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from microblog.extensions import db
from microblog.models.base import utcnow

if TYPE_CHECKING:
    from microblog.models import Message, Notification, Post, Task, UserSession

followers = Table(
    "followers",
    db.metadata,
    Column("follower_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("followed_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    # "Who follows X" (follower counts) needs the followed side first.
    Index("ix_followers_followed_id_follower_id", "followed_id", "follower_id"),
)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    about_me: Mapped[str | None] = mapped_column(String(140))
    # The uploaded picture's version (services/avatars.py), in its file names and URL; None:
    # the identicon. A new upload or a removal changes it, so avatar URLs are cacheable.
    avatar_version: Mapped[str | None] = mapped_column(String(32))
    # The IANA zone the reader's times are shown in (i18n.py).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_read_time: Mapped[datetime | None]
    # Opaque API token (stored as its SHA-256) and its expiry; see services/tokens.py.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expiration: Mapped[datetime | None]
    # Failed sign-ins in a row, and until when the account's sign-in answers 429 after too
    # many (services/accounts.py authenticate); a success or a new password clears both.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    login_delayed_until: Mapped[datetime | None]

    # When the user last opened /activity: newer activity is "unseen" (the navbar count).
    activity_seen_at: Mapped[datetime | None]
    # How many accounts the user follows, kept by services/follows.py with each follow: it
    # decides how their home is read (services/feed.py) with no statement of its own.
    following_count: Mapped[int] = mapped_column(default=0, server_default="0")

    posts: WriteOnlyMapped[Post] = relationship(
        back_populates="author", passive_deletes=True, foreign_keys="Post.user_id"
    )
    following: WriteOnlyMapped[User] = relationship(
        secondary=followers,
        primaryjoin=lambda: followers.c.follower_id == User.id,
        secondaryjoin=lambda: followers.c.followed_id == User.id,
        back_populates="followers",
        passive_deletes=True,
    )
    followers: WriteOnlyMapped[User] = relationship(
        secondary=followers,
        primaryjoin=lambda: followers.c.followed_id == User.id,
        secondaryjoin=lambda: followers.c.follower_id == User.id,
        back_populates="following",
        passive_deletes=True,
    )
    messages_sent: WriteOnlyMapped[Message] = relationship(
        foreign_keys="Message.sender_id", back_populates="author", passive_deletes=True
    )
    messages_received: WriteOnlyMapped[Message] = relationship(
        foreign_keys="Message.recipient_id", back_populates="recipient", passive_deletes=True
    )
    notifications: WriteOnlyMapped[Notification] = relationship(
        back_populates="user", passive_deletes=True
    )
    tasks: WriteOnlyMapped[Task] = relationship(back_populates="user", passive_deletes=True)
    sessions: WriteOnlyMapped[UserSession] = relationship(
        back_populates="user", passive_deletes=True
    )
    # The token of the signed-in session this object was loaded for (services/sessions.py):
    # what Flask-Login stores in the session and the remember-me cookie.
    session_token = None  # not a column: set per sign-in (no annotation, so not mapped)

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def avatar(self, size: int, *, external: bool = False) -> str:
        return avatar_url(self.id, self.email, self.avatar_version, size, external=external)

    def get_id(self) -> str | None:
        """What the session and the remember-me cookie store: the sign-in's token."""
        return self.session_token


# The version of the identicon's drawing (services/avatars.py): change it with the drawing.
IDENTICON_VERSION = "id1"


def avatar_url(
    user_id: int, email: str, version: str | None, size: int, *, external: bool = False
) -> str:
    """Where a user's avatar is: served by the app (views/avatars.py), its version in the URL
    so that a browser caches it for good. Gravatar only when the site opts in
    (AVATAR_GRAVATAR) and the user has no picture of their own: it is another site, which
    learns a hash of the email address and who reads the page."""
    if version is None and current_app.config["AVATAR_GRAVATAR"]:
        digest = md5(email.lower().encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"https://www.gravatar.com/avatar/{digest}?d=identicon&s={size}"
    v = version or IDENTICON_VERSION
    return url_for("avatars.show", user_id=user_id, size=size, v=v, _external=external)
