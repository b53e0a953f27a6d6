"""Timelines: home (own + followed), explore (everyone), a profile (one author)."""

from __future__ import annotations

from sqlalchemy import ARRAY, Integer, any_, bindparam, select, union_all

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post, User, followers
from microblog.services.listing import Item, Listing
from microblog.services.pagination import Page

# Up to this many authors the home timeline lists their ids (PostgreSQL); past it, a subquery.
AUTHOR_LIST_MAX = 1000

_FOLLOWED = select(followers.c.followed_id).where(
    followers.c.follower_id == bindparam("reader_id")
)
_FOLLOWED_IDS = _FOLLOWED.limit(bindparam("most"))
EXPLORE = Listing(Post)
PROFILE = Listing(Post, Post.user_id == bindparam("author_id"))
HOME_BY_FOLLOWS = Listing(
    Post, Post.user_id.in_(union_all(_FOLLOWED, select(bindparam("reader_id"))))
)
# PostgreSQL only: one array parameter (1.2 ms) rather than 51 listed ones (1.4 ms).
HOME_BY_AUTHORS = Listing(Post, Post.user_id == any_(bindparam("authors", type_=ARRAY(Integer))))


def home(user: User, page: object) -> Page[Item]:
    """Own posts and followed authors' posts, without an OR-join or a GROUP BY.

    On PostgreSQL the authors' ids are read first and passed as an array: it then walks
    the timestamp index with a `user_id = ANY(...)` filter (0.7 ms) instead of a
    semi-join against the follower subquery (3 ms on the benchmark data). SQLite plans
    both alike, and the subquery saves a statement and binding 50 parameters (0.4 ms).
    """
    if not is_sqlite(db.session.get_bind()):
        most = AUTHOR_LIST_MAX + 1
        ids = db.session.scalars(_FOLLOWED_IDS, {"reader_id": user.id, "most": most}).all()
        if len(ids) <= AUTHOR_LIST_MAX:
            return HOME_BY_AUTHORS.page(page, authors=[*ids, user.id])
    return HOME_BY_FOLLOWS.page(page, reader_id=user.id)


def explore(page: object) -> Page[Item]:
    return EXPLORE.page(page)


def profile(user: User, page: object) -> Page[Item]:
    return PROFILE.page(page, author_id=user.id)
