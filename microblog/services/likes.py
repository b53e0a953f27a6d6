"""Likes: one per user and post, counted on the post.

Like and unlike are idempotent and safe under racing clicks: the like is an
insert-or-ignore on its primary key, and only the request whose insert (or delete) took
effect changes `Post.like_count` (an UPDATE that adds one, under the row's lock) and the
author's Activity.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Kind, Post, PostLike, User
from microblog.services import activity


class PostGone(LookupError):
    """The post was deleted meanwhile (between loading it and liking it)."""


@dataclass(frozen=True)
class LikeState:
    """What a like button shows: the post, its count and whether the reader likes it."""

    post_id: int
    like_count: int
    liked: bool

    @property
    def id(self) -> int:
        """The post's id, named as a list row (`listing.Item`) names it: the like button
        reads either."""
        return self.post_id


def like(user: User, post: Post) -> LikeState:
    values = {"post_id": post.id, "user_id": user.id}
    try:
        # RETURNING says whether this request's insert took effect (psycopg's rowcount
        # for INSERT .. ON CONFLICT DO NOTHING is -1, never 0).
        insert = upsert_insert(PostLike).values(values).on_conflict_do_nothing()
        inserted = db.session.execute(insert.returning(PostLike.post_id)).first() is not None
    except IntegrityError:
        # Not the primary key (that conflict is ignored): the post's foreign key. The post
        # was deleted after the caller loaded it.
        db.session.rollback()
        raise PostGone(post.id) from None
    if inserted:
        _count(post.id, +1)
        activity.record(post.user_id, user.id, Kind.LIKE, post.id)
    db.session.commit()
    return state(user, post.id)


def unlike(user: User, post: Post) -> LikeState:
    deleted = db.session.execute(
        delete(PostLike).where(PostLike.post_id == post.id, PostLike.user_id == user.id)
    )
    if deleted.rowcount:
        _count(post.id, -1)
        activity.withdraw(post.user_id, user.id, Kind.LIKE, post.id)
    db.session.commit()
    return state(user, post.id)


def state(user: User, post_id: int) -> LikeState:
    """The post's count and the user's like, read in one statement; PostGone if there is
    no such post (any more)."""
    liked = select(PostLike.user_id).where(
        PostLike.post_id == post_id, PostLike.user_id == user.id
    )
    query = select(Post.like_count, liked.exists()).where(Post.id == post_id)
    row = db.session.execute(query).first()
    if row is None:
        raise PostGone(post_id)
    count, mine = row
    return LikeState(post_id, count, bool(mine))


def _count(post_id: int, change: int) -> None:
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(like_count=Post.like_count + change)
        .execution_options(synchronize_session=False)
    )
