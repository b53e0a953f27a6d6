"""Likes: one per user and post, counted on the post.

Like and unlike are idempotent and safe under racing clicks: the like is an
insert-or-ignore on its primary key, and only the request whose insert (or delete) took
effect changes `Post.like_count` (an UPDATE that adds one, under the row's lock) and the
author's Activity.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from microblog.database import upsert_insert
from microblog.extensions import db
from microblog.models import Kind, Post, PostLike, User
from microblog.services import activity


@dataclass(frozen=True)
class LikeState:
    """What a like button shows: the post, its count and whether the reader likes it."""

    post_id: int
    like_count: int
    liked: bool


def like(user: User, post: Post) -> LikeState:
    values = {"post_id": post.id, "user_id": user.id}
    inserted = db.session.execute(upsert_insert(PostLike).values(values).on_conflict_do_nothing())
    if inserted.rowcount:
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
    """The post's count and the user's like, read in one statement."""
    liked = select(PostLike.user_id).where(
        PostLike.post_id == post_id, PostLike.user_id == user.id
    )
    query = select(Post.like_count, liked.exists()).where(Post.id == post_id)
    count, mine = db.session.execute(query).one()
    return LikeState(post_id, count, bool(mine))


def _count(post_id: int, change: int) -> None:
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(like_count=Post.like_count + change)
        .execution_options(synchronize_session=False)
    )
