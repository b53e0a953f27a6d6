"""Timelines: home (own + followed), explore (everyone), a profile (one author).

Each is read by a reader: their rows say whether they like each post."""

from __future__ import annotations

from sqlalchemy import Integer, any_, bindparam, func, select, union_all

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post, User, followers
from microblog.services.listing import Item, Listing
from microblog.services.pagination import Page

# The reader's authors: whom they follow, and themselves.
_AUTHORS = union_all(
    select(followers.c.followed_id).where(followers.c.follower_id == bindparam("reader_id")),
    select(bindparam("reader_id", type_=Integer)),
)
EXPLORE = Listing(Post)
PROFILE = Listing(Post, Post.user_id == bindparam("author_id"))
ONE = Listing(Post, Post.id == bindparam("post_id"))
HOME_SQLITE = Listing(Post, Post.user_id.in_(_AUTHORS))
HOME_POSTGRESQL = Listing(Post, Post.user_id == any_(func.array(_AUTHORS.scalar_subquery())))


def home(user: User, page: object) -> Page[Item]:
    """Own posts and followed authors' posts, without an OR-join or a GROUP BY: one statement.

    PostgreSQL reads the authors once into an array and walks the timestamp index with a
    `user_id = ANY(array)` filter; as `IN (subquery)` it plans a slower semi-join, and
    reading the ids first costs a round trip (figures in bench/RESULTS.md). SQLite walks
    the same index with `IN (subquery)`.
    """
    listing = HOME_SQLITE if is_sqlite(db.session.get_bind()) else HOME_POSTGRESQL
    return listing.page(page, reader_id=user.id)


def explore(reader: User, page: object) -> Page[Item]:
    return EXPLORE.page(page, reader_id=reader.id)


def profile(reader: User, author_id: int, page: object) -> Page[Item]:
    return PROFILE.page(page, reader_id=reader.id, author_id=author_id)


def one(reader: User, post_id: int) -> Item | None:
    """One post as its row shows it to `reader` (after writing it, or on its own page)."""
    items = ONE.page(1, reader_id=reader.id, post_id=post_id).items
    return items[0] if items else None
