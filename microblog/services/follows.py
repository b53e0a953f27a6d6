"""The follower graph: commands and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, select, update

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Kind, User, followers
from microblog.services import activity
from microblog.services.listing import Author


class FollowError(ValueError):
    """A follow that the rules refuse (yourself)."""


def follow(user: User, other: User) -> None:
    """Idempotent, and safe when two requests race (insert-or-ignore): only the request
    whose insert took effect tells `other` (Activity)."""
    if user.id == other.id:
        raise FollowError("You cannot follow yourself!")
    values = {"follower_id": user.id, "followed_id": other.id}
    insert = upsert_insert(followers).values(values).on_conflict_do_nothing()
    if db.session.execute(insert.returning(followers.c.follower_id)).first() is not None:
        _count_following(user.id, +1)
        activity.record(other.id, user.id, Kind.FOLLOW)
    db.session.commit()


def unfollow(user: User, other: User) -> None:
    """Idempotent; the follow's Activity is withdrawn with it."""
    result = db.session.execute(
        delete(followers).where(
            followers.c.follower_id == user.id, followers.c.followed_id == other.id
        )
    )
    if result.rowcount:
        _count_following(user.id, -1)
        activity.withdraw(other.id, user.id, Kind.FOLLOW)
    db.session.commit()


def _count_following(user_id: int, change: int) -> None:
    """User.following_count moved by `change` in the database (a counted UPDATE: racing
    follows by the same user each add theirs), and on the user in the session."""
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(following_count=User.following_count + change)
    )


def recount_following(*user_ids: int) -> None:
    """following_count counted again from the followers table, for these users (none
    named: every user), after rows were written there directly (the seed's bulk load, the
    bench's readers). Users already in the session keep the count they had until they are
    expired (a commit)."""
    counted = select(func.count()).where(followers.c.follower_id == User.id).scalar_subquery()
    statement = update(User).values(following_count=counted)
    if user_ids:
        statement = statement.where(User.id.in_(user_ids))
    db.session.execute(statement.execution_options(synchronize_session=False))


@dataclass(frozen=True, slots=True)
class Person(Author):
    """A user as a profile page and a hover card show them: read-only."""

    about_me: str | None
    last_seen: datetime


@dataclass(frozen=True)
class Social:
    """What a profile shows of the follower graph, as `reader` sees `user`."""

    following: bool  # does the reader follow the user
    followers_count: int
    following_count: int


def _social_columns(user_id: ColumnElement[int]) -> tuple[ColumnElement, ...]:
    """Whether the reader (`:reader_id`) follows `user_id`, and its two counts."""
    return (
        exists().where(_edge.follower_id == bindparam("reader_id"), _edge.followed_id == user_id),
        select(func.count()).where(_edge.followed_id == user_id).scalar_subquery(),
        select(func.count()).where(_edge.follower_id == user_id).scalar_subquery(),
    )


# Built once: the graph of a user whose id is known, and a profile found by name with it.
_edge = followers.c
_SOCIAL = select(*_social_columns(bindparam("user_id")))
_users = User.__table__.c
_PROFILE = select(
    _users.id,
    _users.username,
    _users.email,
    _users.avatar_version,
    _users.about_me,
    _users.last_seen,
    *_social_columns(_users.id),
).where(_users.username == bindparam("username"))


def social(reader: User, user: User) -> Social:
    """Whether `reader` follows `user`, and both of `user`'s counts: one statement."""
    params = {"reader_id": reader.id, "user_id": user.id}
    return _social_of(*db.session.connection().execute(_SOCIAL, params).one())


def profile(reader: User, username: str) -> tuple[Person, Social] | None:
    """The user named `username` as their profile shows them, and their graph as `reader`
    sees it (`social`): one statement, a row rather than an ORM object."""
    params = {"reader_id": reader.id, "username": username}
    row = db.session.connection().execute(_PROFILE, params).first()
    if row is None:
        return None
    return Person(*row[:6]), _social_of(*row[6:])


def _social_of(following: object, followers_count: int, following_count: int) -> Social:
    return Social(bool(following), followers_count, following_count)  # EXISTS: 0/1 on SQLite


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
