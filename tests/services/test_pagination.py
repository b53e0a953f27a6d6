"""The deferred join (a page's ids first, then its rows) lists what plain LIMIT/OFFSET does."""

from __future__ import annotations

import random
from datetime import timedelta

from flask import Flask

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
