"""Post, follower and following counts for many users at once (three grouped queries).

A page of 100 users would otherwise cost 300 COUNT queries (the N+1 the API must avoid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, func, select

from microblog.extensions import db
from microblog.models import Post, followers


@dataclass(frozen=True)
class UserCounts:
    posts: int = 0
    followers: int = 0
    following: int = 0


def _grouped(column: Column, ids: list[int]) -> dict[int, int]:
    query = select(column, func.count()).where(column.in_(ids)).group_by(column)
    return {key: count for key, count in db.session.execute(query)}


def user_counts(user_ids: Iterable[int]) -> dict[int, UserCounts]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    posts = _grouped(Post.__table__.c.user_id, ids)
    followers_of = _grouped(followers.c.followed_id, ids)
    following_of = _grouped(followers.c.follower_id, ids)
    return {
        user_id: UserCounts(
            posts.get(user_id, 0), followers_of.get(user_id, 0), following_of.get(user_id, 0)
        )
        for user_id in ids
    }
