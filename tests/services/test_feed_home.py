"""Home by author or by time (feed.home_listing): either way a reader gets the pages a plain
ORDER BY over their authors gives, by number, by cursor and as a view; which way a reader
gets depends on how many accounts they follow; each way reads the index it is meant to."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import feed, follows
from microblog.services.listing import Listing
from microblog.services.pagination import Position, key_of
from tests.plans import explain

PER_PAGE = 7


def by_author() -> Listing:
    return feed.HOME_SQLITE if is_sqlite(db.session.get_bind()) else feed.HOME_POSTGRESQL


STRATEGIES = {"by author": by_author, "by time": lambda: feed.HOME_BY_TIME}


@pytest.fixture
def readers(app: Flask, make_user) -> dict[str, User]:  # noqa: ANN001
    """Readers who follow many, few, one quiet account or nobody, among 200 posts at a
    few distinct moments (ties broken by id), their own included."""
    app.config["POSTS_PER_PAGE"] = PER_PAGE
    authors = [make_user(f"author{i}") for i in range(8)]
    quiet = make_user("quiet")
    people = {
        "many": (make_user("many"), authors[:6]),
        "few": (make_user("few"), authors[6:]),
        "quiet": (make_user("listener"), [quiet]),
        "nobody": (make_user("loner"), []),
    }
    for reader, followed in people.values():
        for author in followed:
            follows.follow(reader, author)
    rng = random.Random(11)
    start = utcnow() - timedelta(days=10)
    writers = [*authors, people["many"][0], people["few"][0], people["nobody"][0]]
    posts = [Post(body=f"post {i}", author=rng.choice(writers), language="en") for i in range(200)]
    posts += [Post(body="a quiet word", author=quiet) for _ in range(2)]
    for post in posts:
        post.timestamp = start + timedelta(hours=rng.randint(0, 30))
    db.session.add_all(posts)
    db.session.commit()
    return {name: reader for name, (reader, _) in people.items()}


def plain(reader: User) -> list[int]:
    """The reader's home as a plain ORDER BY over their authors: every post, newest first."""
    followed = [user.id for user in db.session.scalars(follows.following_query(reader))]
    statement = (
        select(Post.id)
        .where(Post.user_id.in_([reader.id, *followed]))
        .order_by(Post.timestamp.desc(), Post.id.desc())
    )
    return list(db.session.scalars(statement))


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["many", "few", "quiet", "nobody"])
def test_both_ways_list_the_plain_pages(readers, strategy: str, name: str) -> None:  # noqa: ANN001
    reader = readers[name]
    listing = STRATEGIES[strategy]()
    expected = plain(reader)
    assert len(expected) >= {"many": 100, "few": 20, "quiet": 2, "nobody": 5}[name]

    def page(at: object):  # noqa: ANN202
        return listing.page(at, reader_id=reader.id)

    # By number: offsets.
    for number in range(1, len(expected) // PER_PAGE + 3):
        got = page(number)
        start = (number - 1) * PER_PAGE
        assert [item.id for item in got.items] == expected[start : start + PER_PAGE]
        assert got.has_next == (len(expected) > start + PER_PAGE)
    # By cursor: the "older" links, followed to the end.
    walked, at = [], 1
    while at is not None:
        got = page(at)
        walked += [item.id for item in got.items]
        at = got.next_page
    assert walked == expected
    # After any post of the list (ties included), and a view of 10 from one on.
    rows = {post.id: post for post in db.session.scalars(select(Post))}
    for index in random.Random(name).sample(range(len(expected)), min(12, len(expected))):
        key = key_of(rows[expected[index]])
        after = page(Position(number=2, after=key))
        assert [item.id for item in after.items] == expected[index + 1 : index + 1 + PER_PAGE]
        view = page(Position(start=key, size=10))
        assert [item.id for item in view.items] == expected[index : index + 10]


def test_a_reader_who_follows_many_goes_by_time(monkeypatch, readers) -> None:  # noqa: ANN001
    monkeypatch.setitem(feed.HOME_BY_TIME_ABOVE, is_sqlite(db.session.get_bind()), 2)
    assert feed.home_listing(readers["many"]) is feed.HOME_BY_TIME  # follows 6
    for name in ("few", "quiet", "nobody"):  # 2, 1 and 0
        assert feed.home_listing(readers[name]) is by_author(), name
    for reader in readers.values():
        assert [item.id for item in feed.home(reader, 1).items] == plain(reader)[:PER_PAGE]


def test_following_count_is_kept_with_each_follow(readers, make_user) -> None:  # noqa: ANN001
    """User.following_count, which chooses the way, counts the followers rows: a follow
    adds one, the same follow again nothing, an unfollow takes one off (twice: once)."""
    reader, others = readers["few"], [make_user(f"new{i}") for i in range(3)]
    assert reader.following_count == 2
    for other in others:
        follows.follow(reader, other)
    follows.follow(reader, others[0])
    assert reader.following_count == 5
    follows.unfollow(reader, others[1])
    follows.unfollow(reader, others[1])
    db.session.expire_all()
    stored = db.session.get(User, reader.id)
    assert (
        stored.following_count
        == 4
        == len(list(db.session.scalars(follows.following_query(stored))))
    )


def test_the_bench_readers_go_their_ways(readers) -> None:  # noqa: ANN001
    """With the thresholds as they are: 50 (the bench user) or 5 by author, 5,000 by time."""
    assert feed.home_listing(readers["quiet"]) is by_author()
    limit = feed.HOME_BY_TIME_ABOVE[is_sqlite(db.session.get_bind())]
    assert 50 < limit < 5000
    bulk = [User(username=f"f{i}", email=f"f{i}@example.com") for i in range(limit + 1)]
    db.session.add_all(bulk)
    db.session.flush()
    wide = readers["nobody"]
    for count in (50, limit, limit + 1):
        db.session.execute(text("DELETE FROM followers WHERE follower_id = :r"), {"r": wide.id})
        db.session.execute(
            text("INSERT INTO followers (follower_id, followed_id) VALUES (:r, :f)"),
            [{"r": wide.id, "f": user.id} for user in bulk[:count]],
        )
        follows.recount_following(wide.id)  # rows written directly: count them
        db.session.refresh(wide)
        assert wide.following_count == count
        expected = feed.HOME_BY_TIME if count > limit else by_author()
        assert feed.home_listing(wide) is expected, count


def test_home_page_of_a_wide_reader(monkeypatch, app: Flask, client, readers, login) -> None:  # noqa: ANN001
    """/index by time shows the followed authors' newest posts and the reader's own, and
    nothing by anyone else; the older link goes on from the last one."""
    monkeypatch.setitem(feed.HOME_BY_TIME_ABOVE, is_sqlite(db.session.get_bind()), 2)
    reader = readers["many"]
    reader.set_password("pw")
    db.session.commit()
    login(reader, "pw")
    bodies = {post.id: post.body for post in db.session.scalars(select(Post))}
    expected = plain(reader)
    page = client.get("/index")
    assert page.status_code == 200
    shown = [bodies[i] for i in expected[:PER_PAGE]]
    positions = [page.text.index(f">{body}<") for body in shown]
    assert positions == sorted(positions)  # newest first
    others = {bodies[i] for i in bodies if i not in expected} - set(shown)
    assert not [body for body in others if f">{body}<" in page.text]
    older = feed.home(reader, 1).next_page
    assert f"page={older}" in page.text
    second = client.get(f"/index?page={older}")
    for post_id in expected[PER_PAGE : 2 * PER_PAGE]:
        assert f">{bodies[post_id]}<" in second.text


def _plan(listing: Listing, reader: User) -> str:
    """The database's plan of `listing`'s statement for `reader`'s first page."""
    params = {
        "reader_id": reader.id,
        "cursor_ts": utcnow() + timedelta(days=1),
        "cursor_id": 2**31 - 2,
        "limit": PER_PAGE + 1,
        "offset": 0,
    }
    return explain(listing.statement, params)


def test_by_time_walks_the_timestamp_index_and_by_author_each_authors(readers) -> None:  # noqa: ANN001
    """By time reads ix_post_timestamp_id from the cursor down, in order (no sort of the
    page's ids); by author (SQLite) reads each author's range of ix_post_user_id_timestamp_id
    (PostgreSQL's plans at scale: bench/RESULTS.md)."""
    by_time = _plan(feed.HOME_BY_TIME, readers["many"])
    if is_sqlite(db.session.get_bind()):
        authors = _plan(by_author(), readers["few"])
        assert "USING INDEX ix_post_timestamp_id (timestamp<?)" in by_time, by_time
        # The only sort is the outer one of the page's rows (read by primary key).
        assert by_time.count("USE TEMP B-TREE FOR ORDER BY") == 1, by_time
        assert "ix_post_user_id_timestamp_id (user_id=? AND timestamp<?)" in authors, authors
    else:  # by author: PostgreSQL's costs choose, and a few hundred rows plan as they like
        assert "Index Scan Backward using ix_post_timestamp_id" in by_time, by_time
        assert 'Index Cond: (ROW("timestamp", id) <' in by_time, by_time


@pytest.mark.parametrize("above", [2, 1000])  # the "many" reader by time, then by author
def test_new_posts_above_a_post_either_way(monkeypatch, readers, above: int) -> None:  # noqa: ANN001
    """The poll's count and the notice's posts: the reader's home above the newest post it
    showed, by others only, whichever way home goes for them."""
    monkeypatch.setitem(feed.HOME_BY_TIME_ABOVE, is_sqlite(db.session.get_bind()), above)
    for name, reader in readers.items():
        posts = {post.id: post for post in db.session.scalars(select(Post))}
        expected = plain(reader)
        shown = min(12, len(expected) - 1)  # the page's newest post is this far down
        newest = posts[expected[shown]]
        newer = [i for i in expected[:shown] if posts[i].user_id != reader.id]
        after = (newest.timestamp, newest.id)
        assert feed.count_new(reader, "home", after) == len(newer), name
        assert [item.id for item in feed.new_posts(reader, "home", after).items] == newer, name
