"""The benchmark's optimisations change no output: each fast path against the plain one."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import format_datetime, format_timedelta
from markupsafe import Markup

from microblog.caches import BoundedCache
from microblog.i18n import moment
from microblog.models.base import utcnow


def plain_moment(value):  # noqa: ANN001, ANN201 - the version before the optimisation
    exact = format_datetime(value, "medium")
    relative = format_timedelta(value - utcnow(), add_direction=True, granularity="second")
    iso = value.isoformat() + "+00:00"
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(iso, exact, relative)


@pytest.mark.parametrize("language", ["en", "es"])
def test_moment_matches_flask_babel(app: Flask, language: str) -> None:
    rng = random.Random(7)
    now = utcnow()
    values = [now - timedelta(seconds=rng.randint(-100, 3 * 365 * 86400)) for _ in range(300)]
    values.append(now.replace(microsecond=0))
    # Around every unit's threshold (0.85) and rounding point (x.5), past and future.
    for unit_seconds in (31536000, 2592000, 604800, 86400, 3600, 60, 1):
        for factor in (0.84, 0.85, 0.86, 1.49, 1.5, 1.51, 2.5, 11.5, 40):
            for sign in (1, -1):
                values.append(now - sign * timedelta(seconds=round(factor * unit_seconds)))
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for value in values:
            for _ in range(2):  # the second call is served by the cache
                before = plain_moment(value)
                # The clock may tick between the two: either reading is right.
                assert moment(value) in (before, plain_moment(value))
    assert moment(None) == ""


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
        "explore": (feed.explore, [], newest_first(Post)),
        "profile": (feed.profile, [users[2].id], newest_first(Post, Post.user_id == users[2].id)),
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


def test_remembered_template_links_match_flask_url_for(app: Flask) -> None:
    from flask import url_for

    template_url_for = app.jinja_env.globals["url_for"]
    calls = [
        ("users.user", {"username": "ana"}),
        ("users.user", {"username": "a b/é?"}),
        ("users.popup", {"username": "ana"}),
        ("posts.explore", {"page": 2}),
        ("posts.explore", {"page": "2"}),
        ("posts.explore", {"page": True}),
        ("posts.explore", {"page": [1, 2]}),
        ("posts.explore", {"_anchor": "post-3"}),
        ("posts.explore", {"_external": True}),
        ("static", {"filename": "css/microblog.css"}),
    ]
    sites = [("http://localhost/", ""), ("https://example.com/", "/blog"), ("http://x.org/", "")]
    for base, root in sites:
        with app.test_request_context("/explore", base_url=base + root.lstrip("/")):
            for endpoint, values in calls:
                for _ in range(2):  # the second answer is the remembered one
                    assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
    with app.test_request_context("/user/ana", base_url="http://localhost/"):
        assert template_url_for(".popup", username="bo") == url_for(".popup", username="bo")


def test_user_badge_matches_the_badge_and_finds_only_existing_users(
    app: Flask,
    make_user,  # noqa: ANN001
) -> None:
    from microblog.extensions import db
    from microblog.models.user import session_id
    from microblog.services import messages, passwords

    alice, bob = make_user("alice"), make_user("bob")
    stored = alice.get_id()
    assert messages.user_badge(stored) == messages.badge(alice.id) == (0, 0.0)
    for _ in range(3):
        messages.send(bob, alice, "hi")
        assert messages.user_badge(stored) == messages.badge(alice.id)
    assert messages.user_badge(stored)[0] == 3
    messages.mark_read(alice)
    assert messages.user_badge(stored) == messages.badge(alice.id)
    assert messages.user_badge(stored)[0] == 0
    missing = alice.id + bob.id + 1000
    assert messages.user_badge(session_id(missing, None)) is None
    assert messages.user_badge(str(alice.id)) is None  # not a stored session id
    passwords.reset_password(alice, "a brand new passphrase")
    assert messages.user_badge(stored) is None  # the password changed
    assert messages.user_badge(alice.get_id()) == (0, messages.badge(alice.id)[1])
    stored = bob.get_id()
    db.session.delete(bob)
    db.session.commit()
    assert messages.user_badge(stored) is None


def test_badge_poll_of_a_deleted_user_stops_polling(client, hx, alice) -> None:  # noqa: ANN001
    from microblog.extensions import db

    assert "every 10s" in hx("GET", "/notifications/badge").text
    db.session.delete(alice)
    db.session.commit()
    response = hx("GET", "/notifications/badge?since=0.0")
    assert response.status_code == 200
    assert 'id="unread-badge"' in response.text
    assert "hx-trigger" not in response.text and "hx-get" not in response.text


def test_partials_get_context_processors_once_per_request_and_their_arguments_win(
    app: Flask,
) -> None:
    from jinja2 import DictLoader

    app.jinja_loader.loaders.append(DictLoader({"probe.html": "{{ flavour }} {{ request.path }}"}))
    runs = []

    @app.context_processor
    def flavour() -> dict:
        runs.append(1)
        return {"flavour": "processor"}

    render_partial = app.jinja_env.globals["render_partial"]
    for path in ("/one", "/two"):
        with app.test_request_context(path):
            assert render_partial("probe.html") == f"processor {path}"
            assert render_partial("probe.html", flavour="<own>") == f"&lt;own&gt; {path}"
            assert render_partial("probe.html") == f"processor {path}"
            assert isinstance(render_partial("probe.html"), Markup)
    assert len(runs) == 2  # once per request, not once per partial


def test_templates_read_globals_from_a_plain_dict_without_writing_to_the_environments(
    app: Flask,
) -> None:
    env = app.jinja_env
    with app.test_request_context("/"):
        page = env.get_template("partials/pager.html")
        assert type(page.globals) is dict  # copied per render; a ChainMap cost ~12 µs
        assert page.globals["url_for"] is env.globals["url_for"]
        # A template's own globals stay its own, as with Jinja's ChainMap.
        own = env.from_string("{{ shade }} {{ _('Home') }}", globals={"shade": "blue"})
        assert own.render() == "blue Home"
        assert "shade" not in env.globals
        assert env.from_string("{{ shade is defined }}").render() == "False"


def test_a_bounded_cache_empties_itself_when_full_and_size_zero_keeps_nothing() -> None:
    cache = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache == {"a": 1, "b": 2}
    cache.put("c", 3)
    assert cache == {"c": 3}
    nothing = BoundedCache(0)
    nothing.put("a", 1)
    assert nothing == {} and nothing.get("a") is None
