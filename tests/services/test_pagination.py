"""The deferred join (a page's ids first, then its rows) lists what plain LIMIT/OFFSET does;
cursors list the same pages and hold still while others post; views rebuild what was shown;
any `?page=` value is a position."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask

from microblog.models import Post
from microblog.models.base import utcnow


def plain_page(query, page: int, per_page: int) -> list:  # noqa: ANN001 - LIMIT/OFFSET only
    from microblog.extensions import db

    statement = query.limit(per_page + 1).offset((page - 1) * per_page)
    return list(db.session.scalars(statement).unique())


def test_deferred_join_pages_match_plain_offset_pages(app: Flask, make_user, make_post) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Message, Post
    from microblog.services import feed, follows, messages
    from microblog.services.pagination import paginate

    rng = random.Random(3)
    users = [make_user(f"user{i}") for i in range(6)]
    for other in users[1:4]:
        follows.follow(users[0], other)
    start = utcnow() - timedelta(days=30)
    for _ in range(120):
        # Few distinct timestamps: ties must be broken by id, the same way on every page.
        moment = start + timedelta(hours=rng.randint(0, 20))
        make_post(rng.choice(users), timestamp=moment)
        message = messages.send(rng.choice(users[1:]), users[0], "hi")
        message.timestamp = moment
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 7

    def newest_first(model, *where):  # noqa: ANN001, ANN202
        return select(model).where(*where).order_by(model.timestamp.desc(), model.id.desc())

    followed = [user.id for user in users[:4]]
    lists = {
        "home": (feed.home, [users[0]], newest_first(Post, Post.user_id.in_(followed))),
        "explore": (feed.explore, [users[0]], newest_first(Post)),
        "profile": (
            feed.profile,
            [users[0], users[2].id],
            newest_first(Post, Post.user_id == users[2].id),
        ),
        "messages": (
            messages.received,
            [users[0]],
            newest_first(Message, Message.recipient_id == users[0].id),
        ),
    }
    for name, (listing, args, plain) in lists.items():
        for page in range(1, 20):
            expected = plain_page(plain, page, 7)
            got = listing(*args, page)
            assert [item.id for item in got.items] == [item.id for item in expected[:7]], name
            assert [item.author.username for item in got.items] == [
                item.author.username for item in expected[:7]
            ], name
            assert got.has_next == (len(expected) > 7), (name, page)
    following = follows.following_query(users[0])
    for page in range(1, 3):
        got = paginate(following, page, 2)
        expected = plain_page(following, page, 2)[:2]
        assert [user.id for user in got.items] == [user.id for user in expected]


def walk(listing, *args) -> list[list[int]]:  # noqa: ANN001
    """Every page of a list, following its "older" links' `page` values."""
    pages, page = [], 1
    while page is not None:
        got = listing(*args, page)
        pages.append([item.id for item in got.items])
        page = got.next_page
    return pages


def test_cursors_walk_what_offsets_walk_and_hold_still_while_others_post(
    app: Flask, make_user, make_post
) -> None:  # noqa: ANN001
    """Each list with cursors, followed link by link, lists what offset pages list; posts
    written and deleted meanwhile neither repeat nor hide one (offsets would)."""
    from microblog.extensions import db
    from microblog.services import feed, follows, messages, posts, search, threads

    rng = random.Random(5)
    users = [make_user(f"user{i}") for i in range(4)]
    follows.follow(users[0], users[1])
    head = make_post(users[1], "the head of a thread")
    start = utcnow() - timedelta(days=3)
    for i in range(40):
        moment = start + timedelta(hours=rng.randint(0, 5))  # ties: broken by id
        make_post(rng.choice(users[:2]), f"word {i}", timestamp=moment)
        reply = posts.create(users[2], f"reply {i}", None, language="en", reply_to=head)
        reply.timestamp = moment
        messages.send(rng.choice(users[1:]), users[0], f"message {i}").timestamp = moment
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 6
    lists = {
        "home": (feed.home, users[0]),
        "explore": (feed.explore, users[0]),
        "profile": (feed.profile, users[0], users[1].id),
        "search": (lambda reader, page: search.posts("word", page, reader.id), users[0]),
        "messages": (messages.received, users[0]),
        "replies": (threads.replies, users[0], head.id),
    }
    for name, (listing, *args) in lists.items():
        by_cursor = walk(listing, *args)
        by_number = [
            [item.id for item in listing(*args, number).items]
            for number in range(1, len(by_cursor) + 1)
        ]
        assert by_cursor == by_number, name
        assert isinstance(listing(*args, 1).next_page, str), name  # a cursor
    # Paging explore while posts are written and one already shown is deleted.
    first = feed.explore(users[0], 1)
    expected = [item.id for item in first.items] + [
        item.id for item in feed.explore(users[0], first.next_page).items
    ]
    for i in range(3):
        make_post(users[3], f"new on top {i}")
    posts.delete_post(db.session.get(Post, first.items[-1].id))
    second = feed.explore(users[0], first.next_page)
    assert [item.id for item in first.items + second.items] == expected
    assert feed.explore(users[0], 2).items[0].id != second.items[0].id  # offsets moved by 2


def test_a_view_rebuilds_the_posts_shown(app: Flask, make_user, make_post) -> None:  # noqa: ANN001
    from microblog.services import feed
    from microblog.services.pagination import key_of, position, view_token

    author = make_user("author")
    start = utcnow() - timedelta(hours=2)
    for i in range(30):
        make_post(author, f"post {i}", timestamp=start + timedelta(minutes=i))
    app.config["POSTS_PER_PAGE"] = 10
    first = feed.explore(author, 1)
    second = feed.explore(author, first.next_page)
    shown = [item.id for item in first.items + second.items]
    make_post(author, "newer than the view")
    view = view_token(key_of(first.items[0]), len(shown))
    restored = feed.explore(author, view)
    assert [item.id for item in restored.items] == shown
    assert restored.has_next and not restored.has_prev and restored.at.at_top
    assert position(view).size == 20
    third = feed.explore(author, restored.next_page)  # and it goes on from there
    assert third.items[0].id == feed.explore(author, second.next_page).items[0].id


@pytest.mark.parametrize(
    "value",
    [None, "", "0", "-1", "abc", "1e9", "99999999999999999999", "ÿÿ", "Y" * 1000, 3.5, [], {}],
)
def test_any_page_value_is_a_position(value) -> None:  # noqa: ANN001
    from microblog.services.pagination import MAX_PAGE, position

    at = position(value)
    assert at.after is None and at.start is None
    assert 1 <= at.number <= MAX_PAGE


def test_tokens_say_what_they_were_made_from() -> None:
    from datetime import datetime

    from microblog.services.pagination import (
        after_token,
        key_token,
        parse_key,
        position,
        view_token,
    )

    last, top = (datetime(2024, 2, 29, 12, 0, 0, 123456), 41), (datetime(1969, 7, 20), 7)
    at = position(after_token(last, 3, top, 25, 25))
    assert (at.after, at.number, at.top, at.shown, at.per_page) == (last, 3, top, 25, 25)
    at = position(view_token(top, 75))
    assert (at.start, at.size, at.number, at.at_top) == (top, 75, 1, True)
    assert position(view_token(top, 10_000)).size == 250  # capped
    assert parse_key(key_token(last)) == last
    assert parse_key(view_token(top, 5)) is None and position(key_token(last)).number == 1
    assert position(2).number == 2 and position("2").number == 2
