"""The follower graph: commands and counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, delete, exists, func, select

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


# Built once: whether the reader follows the user, and the user's two counts.
_edge = followers.c
_SOCIAL = select(
    exists().where(
        _edge.follower_id == bindparam("reader_id"), _edge.followed_id == bindparam("user_id")
    ),
    select(func.count()).where(_edge.followed_id == bindparam("user_id")).scalar_subquery(),
    select(func.count()).where(_edge.follower_id == bindparam("user_id")).scalar_subquery(),
)


def social(reader: User, user: User) -> Social:
    """Whether `reader` follows `user`, and both of `user`'s counts: one statement."""
    params = {"reader_id": reader.id, "user_id": user.id}
    following, followers_count, following_count = (
        db.session.connection().execute(_SOCIAL, params).one()
    )
    return Social(bool(following), followers_count, following_count)


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
