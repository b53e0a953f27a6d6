"""Timelines: home (own + followed), explore (everyone), a profile (one author)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import joinedload

from microblog.extensions import db
from microblog.models import Post, User, followers
from microblog.services.pagination import Page, paginate


def _newest_first(query: Select) -> Select:
    # Authors are loaded in the same statement: a constant number of queries per page.
    return query.options(joinedload(Post.author)).order_by(Post.timestamp.desc(), Post.id.desc())


# Up to this many authors the home query lists their ids; past it, it uses a subquery.
AUTHOR_LIST_MAX = 1000


def home_query(user: User) -> Select:
    """Own posts and followed authors' posts, without an OR-join or a GROUP BY.

    The authors' ids are read first and listed in the query: PostgreSQL then walks the
    timestamp index with a hashed `user_id = ANY(...)` filter (0.3 ms) instead of a
    semi-join against the follower subquery (4 ms on the benchmark data).
    """
    followed = select(followers.c.followed_id).where(followers.c.follower_id == user.id)
    ids = list(db.session.scalars(followed.limit(AUTHOR_LIST_MAX + 1)))
    if len(ids) > AUTHOR_LIST_MAX:
        authors = union_all(followed, select(db.literal(user.id)))
        return _newest_first(select(Post).where(Post.user_id.in_(authors)))
    return _newest_first(select(Post).where(Post.user_id.in_([*ids, user.id])))


def explore_query() -> Select:
    return _newest_first(select(Post))


def profile_query(user: User) -> Select:
    return _newest_first(select(Post).where(Post.user_id == user.id))


def _per_page() -> int:
    return current_app.config["POSTS_PER_PAGE"]


def home(user: User, page: object) -> Page[Post]:
    return paginate(home_query(user), page, _per_page())


def explore(page: object) -> Page[Post]:
    return paginate(explore_query(), page, _per_page())


def profile(user: User, page: object) -> Page[Post]:
    return paginate(profile_query(user), page, _per_page())
