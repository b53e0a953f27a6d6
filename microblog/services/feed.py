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
    exists,
    func,
    or_,
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
# Home, by author: each author's posts from ix_post_user_id_timestamp_id, sorted together.
HOME_SQLITE = Listing(Post, Post.user_id.in_(_AUTHORS))
HOME_POSTGRESQL = Listing(Post, Post.user_id == any_(func.array(_AUTHORS.scalar_subquery())))
# Home, by time: ix_post_timestamp_id walked down from the top (or the cursor), each post
# kept if it is the reader's or the reader follows its author (a probe of followers' key).
# No index answers the OR, so neither database can turn it into the by-author plan.
_OWN_OR_FOLLOWED = or_(
    Post.user_id == bindparam("reader_id"),
    exists().where(
        followers.c.follower_id == bindparam("reader_id"),
        followers.c.followed_id == Post.user_id,
    ),
)
HOME_BY_TIME = Listing(Post, _OWN_OR_FOLLOWED)
# Home goes by time for a reader who follows more accounts than this (per database,
# SQLite: True); where each way's cost crosses the other's at 10x the bench's data.
HOME_BY_TIME_ABOVE = {True: 300, False: 100}


def home_listing(reader: User) -> Listing:
    """The statement of `reader`'s home: by author or by time, from how many they follow.

    By author costs what the followed authors have written (below the cursor): every such
    post is read from the index and sorted. By time costs what the reader does *not*
    follow among the newest posts: a reader who follows a quarter of the accounts reads
    about four posts for each one shown; one who follows five quiet accounts would read
    every post there is. So a reader who follows few goes by author, one who follows many
    by time; a cursor page costs what page 1 does either way (both start at the cursor).
    The number followed stands for what those authors wrote, as it does when authors write
    alike: a few very prolific ones, or many silent ones, would be better served the other
    way. It is kept on the user (User.following_count), so choosing costs no statement.
    Both ways give the same pages (tests/services/test_feed_home.py); what each costs, and
    where they cross: bench/RESULTS.md ("Home for every reader").
    """
    sqlite = is_sqlite(db.session.get_bind())
    if _home_by_time(reader, sqlite):
        return HOME_BY_TIME
    return HOME_SQLITE if sqlite else HOME_POSTGRESQL


def _home_by_time(reader: User, sqlite: bool) -> bool:
    return reader.following_count > HOME_BY_TIME_ABOVE[sqlite]


def home(user: User, page: object) -> Page[Item]:
    """Own posts and followed authors' posts: one statement, chosen by `home_listing`.
    PostgreSQL reads the authors once into an array (`user_id = ANY(array)`); as
    `IN (subquery)` it plans a slower semi-join (figures in bench/RESULTS.md)."""
    return home_listing(user).page(page, reader_id=user.id)


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
# NEW_MAX + 1 ("20+"), in one statement, from the timestamp index (explore, and home by
# time) or each followed author's index entries (home by author), as home_listing chooses.
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
    ("home by time", True): (_OWN_OR_FOLLOWED,),
    ("home by time", False): (_OWN_OR_FOLLOWED,),
}
NEW = {key: Listing(Post, *where, _NEWER, _BY_OTHERS) for key, where in _FILTERS.items()}
COUNT_NEW = {key: _count_new(*where) for key, where in _FILTERS.items()}


def _new_in(reader: User, timeline: str) -> tuple[str, bool]:
    """The key of `timeline`'s statements for `reader`: home by time for one who follows
    many, as their page is read (home_listing)."""
    sqlite = is_sqlite(db.session.get_bind())
    if timeline == "home" and _home_by_time(reader, sqlite):
        return "home by time", sqlite
    return timeline, sqlite


def _after(reader: User, after: Key | None) -> dict[str, object]:
    """The parameters of "newer than `after`" (None: the list was empty, all are new)."""
    moment, post_id = after or (datetime.min, 0)
    return {"reader_id": reader.id, "after_ts": moment, "after_id": post_id}


def count_new(reader: User, timeline: str, after: Key | None) -> int:
    """How many posts by others `timeline` ("home", "explore") has above `after`, up to
    NEW_MAX + 1: the poll's one statement."""
    return db.session.scalar(COUNT_NEW[_new_in(reader, timeline)], _after(reader, after)) or 0


def new_posts(reader: User, timeline: str, after: Key | None) -> Page[Item]:
    """The posts by others above `after`, newest first: at most NEW_MAX (`has_next`: more).
    Home's are read the way its page is (home_listing)."""
    return NEW[_new_in(reader, timeline)].page(1, per_page=NEW_MAX, **_after(reader, after))
