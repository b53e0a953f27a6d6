"""The follower graph: commands and counts."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import User, followers


class FollowError(ValueError):
    """A follow that the rules refuse (yourself)."""


def is_following(user: User, other: User) -> bool:
    query = select(followers.c.follower_id).where(
        followers.c.follower_id == user.id, followers.c.followed_id == other.id
    )
    return db.session.scalar(query) is not None


def follow(user: User, other: User) -> None:
    """Idempotent, and safe when two requests race (insert-or-ignore)."""
    if user.id == other.id:
        raise FollowError("You cannot follow yourself!")
    values = {"follower_id": user.id, "followed_id": other.id}
    db.session.execute(upsert_insert(followers).values(values).on_conflict_do_nothing())
    db.session.commit()


def unfollow(user: User, other: User) -> None:
    db.session.execute(
        delete(followers).where(
            followers.c.follower_id == user.id, followers.c.followed_id == other.id
        )
    )
    db.session.commit()


def followers_count(user: User) -> int:
    query = select(func.count()).where(followers.c.followed_id == user.id)
    return db.session.scalar(query) or 0


def following_count(user: User) -> int:
    query = select(func.count()).where(followers.c.follower_id == user.id)
    return db.session.scalar(query) or 0


def followers_query(user: User):
    return (
        select(User)
        .join(followers, followers.c.follower_id == User.id)
        .where(followers.c.followed_id == user.id)
        .order_by(User.id)
    )


def following_query(user: User):
    return (
        select(User)
        .join(followers, followers.c.followed_id == User.id)
        .where(followers.c.follower_id == user.id)
        .order_by(User.id)
    )
