"""The follower graph: commands and counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import User, followers


class FollowError(ValueError):
    """A follow that the rules refuse (yourself)."""


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


@dataclass(frozen=True)
class Social:
    """What a profile shows of the follower graph, as `reader` sees `user`."""

    following: bool  # does the reader follow the user
    followers_count: int
    following_count: int


def social(reader: User, user: User) -> Social:
    """Whether `reader` follows `user`, and both of `user`'s counts: one statement."""
    edge = followers.c
    row = db.session.execute(
        select(
            exists().where(edge.follower_id == reader.id, edge.followed_id == user.id),
            select(func.count()).where(edge.followed_id == user.id).scalar_subquery(),
            select(func.count()).where(edge.follower_id == user.id).scalar_subquery(),
        )
    ).one()
    return Social(bool(row[0]), row[1], row[2])


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
