"""Accounts: lookups, registration, profile edits and the throttled "last seen"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow

_BY_USERNAME = select(User).where(User.username == bindparam("username"))  # built once


def by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def by_username(username: str) -> User | None:
    return db.session.scalar(_BY_USERNAME, {"username": username})


def username_taken(username: str, *, except_id: int | None = None) -> bool:
    query = select(User.id).where(User.username == username)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def email_taken(email: str) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    return db.session.scalar(query) is not None


def register(username: str, email: str, password: str) -> User:
    user = User(username=username, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def update_profile(user: User, username: str, about_me: str) -> None:
    user.username = username
    user.about_me = about_me or None
    db.session.commit()


def touch_last_seen(user: User, interval_seconds: int) -> None:
    """Record activity at most once per interval: no write on most requests.

    The UPDATE is conditional, so concurrent requests of one user write once.
    """
    now = utcnow()
    threshold = now - timedelta(seconds=interval_seconds)
    if user.last_seen is not None and user.last_seen > threshold:
        return
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.last_seen <= threshold)
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(user, "last_seen", now)
