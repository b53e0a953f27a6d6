"""Timelines: home (own + followed), explore (everyone), a profile (one author).

Each is read by a reader: their rows say whether they like each post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    any_,
    bindparam,
    func,
    select,
    tuple_,
    union_all,
)

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post, User, followers
from microblog.services.listing import Item, Listing
from microblog.services.pagination import Key, Page

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


# "N new posts" on home and explore: the posts above the newest one the reader was shown,
# by others (their own went on top of their page as they posted them). Counted up to
# NEW_MAX + 1 ("20+"), one statement walking the timestamp index from that post up.
NEW_MAX = 20
_NEWER = tuple_(Post.timestamp, Post.id) > tuple_(
    bindparam("after_ts", type_=DateTime), bindparam("after_id", type_=Integer)
)
_BY_OTHERS = Post.user_id != bindparam("reader_id")
_HOME_SQLITE = Post.user_id.in_(_AUTHORS)
_HOME_POSTGRESQL = Post.user_id == any_(func.array(_AUTHORS.scalar_subquery()))


def _count_new(*where: ColumnElement[bool]) -> Select:
    newest = select(Post.id).where(*where, _NEWER, _BY_OTHERS).limit(NEW_MAX + 1)
    return select(func.count()).select_from(newest.subquery())


# Each timeline's filter on each database (SQLite: True), as HOME_* above.
_FILTERS: dict[tuple[str, bool], tuple[ColumnElement[bool], ...]] = {
    ("explore", True): (),
    ("explore", False): (),
    ("home", True): (_HOME_SQLITE,),
    ("home", False): (_HOME_POSTGRESQL,),
}
COUNT_NEW = {key: _count_new(*where) for key, where in _FILTERS.items()}
NEW = {key: Listing(Post, *where, _NEWER, _BY_OTHERS) for key, where in _FILTERS.items()}


def _after(reader: User, after: Key | None) -> dict[str, object]:
    """The parameters of "newer than `after`" (None: the list was empty, all are new)."""
    moment, post_id = after or (datetime.min, 0)
    return {"reader_id": reader.id, "after_ts": moment, "after_id": post_id}


def count_new(reader: User, timeline: str, after: Key | None) -> int:
    """How many posts by others `timeline` ("home", "explore") has above `after`, up to
    NEW_MAX + 1: the poll's one statement."""
    statement = COUNT_NEW[timeline, is_sqlite(db.session.get_bind())]
    return db.session.scalar(statement, _after(reader, after)) or 0


def new_posts(reader: User, timeline: str, after: Key | None) -> Page[Item]:
    """The posts by others above `after`, newest first: at most NEW_MAX (`has_next`: more)."""
    listing = NEW[timeline, is_sqlite(db.session.get_bind())]
    return listing.page(1, per_page=NEW_MAX, **_after(reader, after))
