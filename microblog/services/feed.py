"""Timelines: home (own + followed), explore (everyone), a profile (one author)."""

from __future__ import annotations

from sqlalchemy import Select, select, union_all

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post, User, followers
from microblog.services.listing import Item, newest_first_query, page_of
from microblog.services.pagination import Page

# Up to this many authors the home timeline lists their ids (PostgreSQL); past it, a subquery.
AUTHOR_LIST_MAX = 1000


def home_query(user: User) -> Select:
    """Own posts and followed authors' posts, without an OR-join or a GROUP BY.

    On PostgreSQL the authors' ids are read first and listed in the query: it then walks
    the timestamp index with a hashed `user_id = ANY(...)` filter (0.3 ms) instead of a
    semi-join against the follower subquery (4 ms on the benchmark data). SQLite plans
    both alike, and the subquery saves a statement and binding 50 parameters (0.4 ms).
    """
    followed = select(followers.c.followed_id).where(followers.c.follower_id == user.id)
    if not is_sqlite(db.session.get_bind()):
        ids = list(db.session.scalars(followed.limit(AUTHOR_LIST_MAX + 1)))
        if len(ids) <= AUTHOR_LIST_MAX:
            return newest_first_query(Post, Post.user_id.in_([*ids, user.id]))
    authors = union_all(followed, select(db.literal(user.id)))
    return newest_first_query(Post, Post.user_id.in_(authors))


def explore_query() -> Select:
    return newest_first_query(Post)


def profile_query(user: User) -> Select:
    return newest_first_query(Post, Post.user_id == user.id)


def home(user: User, page: object) -> Page[Item]:
    return page_of(Post, home_query(user), page)


def explore(page: object) -> Page[Item]:
    return page_of(Post, explore_query(), page)


def profile(user: User, page: object) -> Page[Item]:
    return page_of(Post, profile_query(user), page)
