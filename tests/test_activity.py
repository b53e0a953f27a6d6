"""/activity and the navbar's Activity count: what others did to the reader, grouped, newest
first; the count comes with the messages badge's poll and clears on a visit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from html import unescape
from unittest.mock import patch

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, event, insert, inspect, select, table, text, update

from microblog.extensions import db
from microblog.models import Activity, Notification, Post, User
from microblog.models.base import utcnow
from microblog.services import activity, follows, likes, notifications, posts
from microblog.services.notifications import UNSEEN_ACTIVITY_COUNT
from tests.plans import explain

HX = {"HX-Request": "true"}
BADGE_URL = re.compile(r'<span id="unread-badge"[^>]*hx-get="([^"]+)"')
# The navbar's Activity count: empty, or the count then its words for screen readers.
ACTIVITY_BADGE = re.compile(r'<span id="activity-badge"[^>]*>(?:<span[^>]*>[^<]*</span>)*</span>')


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def post(alice: User) -> Post:
    return posts.create(alice, "first words of a post that goes on for a while, longer", None)


def unseen(user: User) -> int | None:
    """The stored count behind the navbar's Activity badge (None: never set)."""
    db.session.expire_all()
    payload = db.session.scalar(
        select(Notification.payload_json).where(
            Notification.user_id == user.id, Notification.name == UNSEEN_ACTIVITY_COUNT
        )
    )
    return None if payload is None else int(payload)


def navbar_count(html: str) -> str:
    """What the navbar's Activity count says to a screen reader ('' when nothing)."""
    badge = ACTIVITY_BADGE.search(html)
    assert badge, html
    hidden = re.search(r'class="visually-hidden">([^<]*)<', badge.group(0))
    return hidden.group(1) if hidden else ""


def entries(html: str) -> list[str]:
    """The text of each /activity line as read: tags removed, spaces collapsed."""
    lines = re.findall(r'<article class="activity .*?</article>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", line)).split()) for line in lines]


@contextmanager
def happening(ago: timedelta) -> Iterator[None]:
    """Activity recorded inside is recorded as of `ago` before now, in that day's groups."""
    with patch("microblog.services.activity.utcnow", return_value=utcnow() - ago):
        yield


def older_link(html: str) -> str | None:
    """The "Older activity" link's address, if the page has one."""
    found = re.search(r'<a class="pager[^"]*" id="[^"]*"\s+href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def poll_url(client) -> str:  # noqa: ANN001
    page = client.get("/explore").text
    return BADGE_URL.search(page).group(1).replace("&amp;", "&")


# --- What is recorded, and withdrawn ---------------------------------------------------------


def test_a_follow_shows_and_counts_and_an_unfollow_withdraws_it(client, alice, bob):
    assert navbar_count(client.get("/explore").text) == ""
    follows.follow(bob, alice)
    assert unseen(alice) == 1
    assert navbar_count(client.get("/explore").text) == "1 unseen notification"
    follows.unfollow(bob, alice)
    assert unseen(alice) == 0
    assert navbar_count(client.get("/explore").text) == ""
    page = client.get("/activity").text
    assert entries(page) == []
    assert "Nothing yet" in page


def test_a_follow_entry_says_who_and_when(client, alice, bob):
    follows.follow(bob, alice)
    page = client.get("/activity").text
    [line] = entries(page)
    assert line.startswith("bob followed you New")
    assert "second" in line  # "1 second ago" (moment), exact time on hover
    assert 'href="/user/bob"' in page and "/avatar/" in page and "<time datetime=" in page


def test_like_and_unlike(client, alice, bob, post):
    likes.like(bob, post)
    assert unseen(alice) == 1
    page = client.get("/activity").text
    assert entries(page)[0].startswith(
        "bob liked your post “first words of a post that goes on for…” New"
    )
    assert f'<a href="/post/{post.id}">first words' in page
    likes.unlike(bob, post)
    assert unseen(alice) == 0
    assert entries(client.get("/activity").text) == []


def test_a_reply_shows_its_text_and_links_to_it(client, alice, bob, post):
    reply = posts.create(bob, "a <b>reply</b> to you", None, reply_to=post)
    assert unseen(alice) == 1
    page = client.get("/activity").text
    assert entries(page)[0].startswith("bob replied to you New a <b>reply</b> to you")
    assert "a &lt;b&gt;reply&lt;/b&gt; to you" in page  # user text, escaped
    assert f'href="/post/{reply.id}"' in page


def test_a_mention_shows_its_text_and_an_edit_can_withdraw_it(client, alice, bob):
    mention = posts.create(bob, "hello @alice, see www.example.com", None)
    assert unseen(alice) == 1
    page = client.get("/activity").text
    assert entries(page)[0].startswith("bob mentioned you New hello @alice, see www.example.com")
    assert '<a class="mention" href="/user/alice">@alice</a>' in page
    assert 'rel="nofollow ugc noopener"' in page
    assert f'href="/post/{mention.id}"' in page
    posts.edit(mention, "hello nobody")
    assert entries(client.get("/activity").text) == []


def test_a_deleted_post_takes_its_activity_and_count_with_it(client, alice, bob, post):
    likes.like(bob, post)
    assert unseen(alice) == 1
    posts.delete_post(db.session.get(Post, post.id))
    assert unseen(alice) == 0
    assert entries(client.get("/activity").text) == []


def test_own_actions_never_notify(client, alice, post):
    likes.like(alice, post)
    posts.create(alice, "replying to myself", None, reply_to=post)
    posts.create(alice, "talking about @alice", None)
    assert unseen(alice) in (None, 0)
    assert db.session.scalar(select(Activity.id)) is None
    assert entries(client.get("/activity").text) == []
    assert navbar_count(client.get("/explore").text) == ""


def test_activity_of_others_stays_theirs(client, alice, bob, make_user):
    carol = make_user("carol")
    follows.follow(carol, bob)
    assert unseen(bob) == 1 and unseen(alice) is None
    assert entries(client.get("/activity").text) == []


# --- Grouping --------------------------------------------------------------------------------


def test_four_likes_of_one_post_are_one_line(client, alice, post, make_user):
    for name in ("ana", "ben", "cy", "dee"):
        likes.like(make_user(name), post)
    assert unseen(alice) == 4
    page = client.get("/activity").text
    assert entries(page) == [
        entries(page)[0]  # the line, checked below
    ]
    assert entries(page)[0].startswith(
        "dee and 3 others liked your post “first words of a post that goes on for…” New"
    )
    assert navbar_count(client.get("/explore").text) == ""  # seen


def test_two_likers_say_one_other(client, alice, post, make_user):
    for name in ("ana", "ben"):
        likes.like(make_user(name), post)
    assert entries(client.get("/activity").text)[0].startswith("ben and 1 other liked your post")


def test_likes_of_different_posts_are_different_lines(client, alice, bob, post):
    other = posts.create(alice, "second post", None)
    likes.like(bob, post)
    likes.like(bob, other)
    lines = entries(client.get("/activity").text)
    assert [line.split(" New")[0] for line in lines] == [
        "bob liked your post “second post”",
        "bob liked your post “first words of a post that goes on for…”",
    ]


def test_follows_group_by_day(client, alice, make_user):
    for name in ("ana", "ben", "cy"):
        follows.follow(make_user(name), alice)
    with happening(timedelta(days=2)):
        follows.follow(make_user("old"), alice)
    lines = entries(client.get("/activity").text)
    assert len(lines) == 2
    assert lines[0].startswith("cy and 2 others followed you New")
    assert lines[1].startswith("old followed you New")
    assert "2 days ago" in lines[1]


def test_replies_and_mentions_are_never_grouped(client, alice, bob, post):
    posts.create(bob, "one", None, reply_to=post)
    posts.create(bob, "two", None, reply_to=post)
    posts.create(bob, "three @alice", None)
    lines = entries(client.get("/activity").text)
    assert [line.split(" New")[0] for line in lines] == [
        "bob mentioned you",
        "bob replied to you",
        "bob replied to you",
    ]


def test_post_text_in_a_line_is_escaped(client, alice, bob):
    post = posts.create(alice, "<script>x()</script> & more", None)
    likes.like(bob, post)
    page = client.get("/activity").text
    assert "&lt;script&gt;x()&lt;/script&gt; &amp; more" in page
    assert "<script>x()" not in page


# --- Seen and new ----------------------------------------------------------------------------


def test_visiting_marks_seen_and_new_lines_are_marked(client, alice, bob, make_user):
    follows.follow(bob, alice)
    first = client.get("/activity").text
    assert navbar_count(first) == ""  # the navbar of this very page shows 0
    assert entries(first)[0].endswith("ago") and " New " in entries(first)[0]
    assert unseen(alice) == 0
    assert db.session.get(User, alice.id).activity_seen_at is not None
    again = client.get("/activity").text
    assert " New " not in entries(again)[0]
    follows.follow(make_user("carol"), alice)
    lines = entries(client.get("/activity").text)
    assert lines == [lines[0]]  # the same day's follows: one line, new since carol is
    assert lines[0].startswith("carol and 1 other followed you New")


def test_a_second_visit_writes_nothing(app, client, alice, bob):
    follows.follow(bob, alice)
    client.get("/activity")
    writes: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/activity").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert not [w for w in writes if "notification" in w or "activity_seen_at" in w], writes


def test_a_fragment_clears_the_navbar_count_out_of_band(app, client, hx, alice, make_user):
    app.config["POSTS_PER_PAGE"] = 2
    for day in range(4):
        actor = make_user(f"user{day}")
        with happening(timedelta(days=day)):
            follows.follow(actor, alice)
    notifications.upsert(alice.id, UNSEEN_ACTIVITY_COUNT, 4)
    db.session.commit()
    response = hx("GET", "/activity?page=2")
    assert response.status_code == 200
    assert "<html" not in response.text
    oob = 'id="activity-badge" class="activity-badge" hx-swap-oob="outerMorph:#activity-badge"'
    assert oob in response.text
    assert navbar_count(response.text) == ""
    assert unseen(alice) == 0
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "HX-Request" in response.headers["Vary"]
    # The poller comes along with the version after this visit: its next poll is a 204.
    assert 'hx-swap-oob="outerHTML:#unread-badge"' in response.text
    url = BADGE_URL.search(response.text).group(1).replace("&amp;", "&")
    assert hx("GET", url).status_code == 204


def test_login_required(client):
    response = client.get("/activity")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- Pages -----------------------------------------------------------------------------------


def test_newest_first_paginated_in_place_with_parity(app, client, hx, alice, make_user):
    app.config["POSTS_PER_PAGE"] = 3
    for day in range(5, 0, -1):  # oldest first: five days, one follow a day
        actor = make_user(f"user{day}")
        with happening(timedelta(days=day)):
            follows.follow(actor, alice)
    page = client.get("/activity").text
    assert [line.split()[0] for line in entries(page)] == ["user1", "user2", "user3"]
    # The link to older lines names the last line shown (a cursor), for htmx and without.
    more = older_link(page)
    assert more.startswith("/activity?page=") and f'hx-get="{more}"' in page
    assert "Older activity" in page
    older = hx("GET", more)
    assert [line.split()[0] for line in entries(older.text)] == ["user4", "user5"]
    assert "Older activity" not in older.text  # the last page has no next link
    # The fragment's lines are the page's (one partial for both).
    fragment = older.text.split('<span id="unread-badge"')[0].strip()
    assert fragment in client.get(more).text
    assert "Newer activity" in client.get(more).text
    # Pages by number still work (the course's kind of link).
    numbered = client.get("/activity?page=2").text
    assert [line.split()[0] for line in entries(numbered)] == ["user4", "user5"]


def test_withdrawing_the_latest_of_a_group_gives_the_line_to_the_one_before(
    client, alice, post, make_user
):
    fans = [make_user(name) for name in ("ana", "ben", "cy")]
    for fan in fans:
        likes.like(fan, post)
    assert entries(client.get("/activity").text)[0].startswith("cy and 2 others liked")
    likes.unlike(fans[2], post)  # the latest
    assert entries(client.get("/activity").text)[0].startswith("ben and 1 other liked")
    likes.unlike(fans[0], post)  # one before it
    assert entries(client.get("/activity").text)[0].startswith("ben liked your post")
    likes.like(fans[2], post)
    assert entries(client.get("/activity").text)[0].startswith("cy and 1 other liked")
    likes.unlike(fans[1], post)
    likes.unlike(fans[2], post)
    assert entries(client.get("/activity").text) == []


def test_a_page_reads_its_lines_through_an_index_whatever_the_history(alice):
    """No grouping of the reader's whole history on each page: the groups' heads, in order,
    straight from the index, from the cursor on."""
    params = {
        "user_id": alice.id,
        "cursor_ts": utcnow(),
        "cursor_id": 30,
        "limit": 26,
        "offset": 0,
    }
    plan = explain(activity.ENTRIES, params)
    assert "ix_activity_user_id_head_timestamp_id" in plan, plan
    assert "GROUP BY" not in plan and "TEMP B-TREE" not in plan, plan
    assert "Sort" not in plan and "Aggregate" not in plan, plan


def test_activity_loaded_in_bulk_then_regrouped_reads_as_if_recorded(
    client, alice, post, make_user
):
    """The seed loads activity in bulk, then `regroup_all`: the page is the one that
    `record` would have kept, one by one."""
    fans = [make_user(f"fan{n}") for n in range(4)]
    with happening(timedelta(days=1)):
        follows.follow(fans[0], alice)
    for fan in fans:
        likes.like(fan, post)
    follows.follow(fans[1], alice)
    follows.follow(fans[2], alice)

    def lines() -> list[str]:  # what each says, "New" or not
        return [line.replace(" New ", " ") for line in entries(client.get("/activity").text)]

    recorded = lines()
    db.session.execute(update(Activity).values(head=True, group_count=1))
    db.session.commit()
    assert len(lines()) == 7  # a line an activity
    activity.regroup_all(alice.id)
    db.session.commit()
    assert lines() == recorded
    assert [line.split(" ago")[0].rsplit(" ", 2)[0] for line in recorded] == [
        "fan2 and 1 other followed you",
        "fan3 and 3 others liked your post “first words of a post that goes on for…”",
        "fan0 followed you",
    ]


def test_older_activity_neither_repeats_nor_skips_while_more_happens(
    app, client, alice, post, make_user
):
    """Between two pages, new people follow and like: a group that grows (the likes of a
    post that day) moves to the top, and no line shows twice on the older pages."""
    app.config["POSTS_PER_PAGE"] = 3
    for day in range(6, 0, -1):
        actor = make_user(f"user{day}")
        with happening(timedelta(days=day)):
            follows.follow(actor, alice)
    first = client.get("/activity").text
    assert [line.split()[0] for line in entries(first)] == ["user1", "user2", "user3"]
    # Meanwhile: two new follows today, and a like (a new line) then another (the same line).
    for name in ("late1", "late2"):
        follows.follow(make_user(name), alice)
    likes.like(make_user("fan1"), post)
    likes.like(make_user("fan2"), post)
    shown = entries(first)
    link = older_link(first)
    while link:
        page = client.get(link).text
        shown += entries(page)
        link = older_link(page)
    assert [line.split()[0] for line in shown] == [f"user{day}" for day in range(1, 7)]
    top = entries(client.get("/activity").text)
    assert top[0].startswith("fan2 and 1 other liked your post")
    assert top[1].startswith("late2 and 1 other followed you")


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999999999999", ""])
def test_absurd_page_values(client, alice, bob, page):
    follows.follow(bob, alice)
    assert client.get(f"/activity?page={page}").status_code == 200


def test_navbar_links(client, alice):
    page = client.get("/explore").text
    links = re.findall(r'<a class="nav-link" href="([^"]+)">', page)
    assert links[:4] == ["/index", "/explore", "/messages", "/activity"]
    region = '<span class="activity-region" aria-live="polite" aria-atomic="true">'
    assert region + '<span id="activity-badge"' in page
    client.post("/auth/logout")
    assert 'href="/activity"' not in client.get("/auth/login").text


# --- The badge poll --------------------------------------------------------------------------


def test_poll_answers_204_until_a_like_then_the_new_count(client, hx, alice, bob, post):
    url = poll_url(client)
    assert hx("GET", url).status_code == 204
    likes.like(bob, post)
    changed = hx("GET", url)
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<span id="unread-badge"')  # the poller itself
    assert 'hx-swap-oob="outerMorph:#activity-badge"' in changed.text
    assert navbar_count(changed.text) == "1 unseen notification"
    assert ">1</span>" in changed.text
    new_url = BADGE_URL.search(changed.text).group(1).replace("&amp;", "&")
    assert new_url != url
    assert hx("GET", new_url).status_code == 204
    client.get("/activity")
    cleared = hx("GET", new_url)  # another tab's next poll
    assert cleared.status_code == 200 and navbar_count(cleared.text) == ""


def test_withdrawing_what_was_seen_keeps_the_version(client, hx, alice, bob, post):
    likes.like(bob, post)
    client.get("/activity")
    url = poll_url(client)
    likes.unlike(bob, post)  # the count was 0 and stays 0: nothing for the tabs to redraw
    assert hx("GET", url).status_code == 204


def test_a_message_still_changes_the_poll(client, hx, alice, bob):
    from microblog.services import messages

    url = poll_url(client)
    messages.send(bob, alice, "hi")
    changed = hx("GET", url)
    assert changed.status_code == 200 and "1 unread message" in changed.text
    assert navbar_count(changed.text) == ""


def test_logged_out_poll_stops_and_clears_the_count(client, hx, alice, bob):
    follows.follow(bob, alice)
    url = poll_url(client)
    client.post("/auth/logout")
    response = hx("GET", url)
    assert response.status_code == 200
    assert "hx-trigger" not in response.text and "hx-get" not in response.text
    assert navbar_count(response.text) == ""


def test_many_unseen_say_99_plus(client, alice, bob):
    notifications.upsert(alice.id, UNSEEN_ACTIVITY_COUNT, 100)
    db.session.commit()
    page = client.get("/explore").text
    assert ">99+</span>" in page
    assert navbar_count(page) == "More than 99 unseen notifications"


def test_poll_is_two_selects_with_both_counts(app, client, hx, alice, bob, post):
    from microblog.services import messages

    messages.send(bob, alice, "hi")
    likes.like(bob, post)
    url = poll_url(client)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert hx("GET", url).status_code == 204
        assert hx("GET", "/notifications/badge?since=1").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 4, statements  # per poll: the user, then both counts at once
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    assert sum("notification" in s for s in statements) == 2


# --- Cost ------------------------------------------------------------------------------------


def count_statements(client, url: str) -> int:  # noqa: ANN001
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_constant_number_of_statements_per_page(app: Flask, client, alice, make_user):
    """A page of 25 lines by 25 people (likes, follows, replies, mentions) costs as many
    statements as a page of one line, seen or not."""
    actors = [make_user(f"actor{i}") for i in range(25)]
    own = [posts.create(alice, f"post {i}", None) for i in range(8)]
    follows.follow(actors[0], alice)
    unseen_first = count_statements(client, "/activity")
    seen_first = count_statements(client, "/activity")
    for i, actor in enumerate(actors[1:], start=1):
        if i % 4 == 0:
            follows.follow(actor, alice)
        elif i % 4 == 1:
            likes.like(actor, own[i % 8])
        elif i % 4 == 2:
            posts.create(actor, f"reply {i}", None, reply_to=own[i % 8])
        else:
            posts.create(actor, f"hello @alice {i}", None)
    assert len(entries(client.get("/activity").text)) == 15
    follows.follow(make_user("late"), alice)
    assert count_statements(client, "/activity") == unseen_first
    assert count_statements(client, "/activity") == seen_first
    # The user, both navbar counts, the page's lines; marking seen adds the count's lock,
    # activity_seen_at and the count.
    assert (seen_first, unseen_first) == (3, 6)


# --- Migration 0012 --------------------------------------------------------------------------


def test_migration_gives_each_group_its_head_and_count(app):
    """At 0011 activity is grouped when read. 0012 marks each group's latest as its head,
    holding the group's count: the page reads the same lines as before."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(revision="0011")
    now = utcnow().replace(hour=12)
    # The tables as they were at 0011: the models have columns added since.
    users = table("user", *(column(name) for name in ("id", "username", "email", "last_seen")))
    post = table("post", *(column(name) for name in ("id", "body", "timestamp", "user_id")))
    names = ("id", "user_id", "actor_id", "kind", "post_id", "timestamp")
    before = table("activity", *(column(name) for name in names))
    with db.engine.begin() as connection:
        for n, name in enumerate(("ann", "ben", "cat", "dan"), start=1):
            connection.execute(
                insert(users).values(id=n, username=name, email=f"{name}@x.org", last_seen=now)
            )
        connection.execute(insert(post).values(id=1, body="tea", timestamp=now, user_id=1))
        connection.execute(insert(post).values(id=2, body="more", timestamp=now, user_id=1))
        rows = [
            (1, 1, 2, "like", 1, now - timedelta(hours=2)),  # likes of post 1 today: 3
            (2, 1, 3, "like", 1, now - timedelta(hours=1)),
            (3, 1, 4, "like", 1, now),  # the same moment as the next: the higher id leads
            (4, 1, 2, "like", 2, now),  # post 2 today
            (5, 1, 3, "like", 1, now - timedelta(days=1)),  # post 1 yesterday
            (6, 1, 2, "follow", None, now - timedelta(days=1, hours=1)),  # follows yesterday
            (7, 1, 3, "follow", None, now - timedelta(days=1)),
            (8, 2, 1, "follow", None, now),  # ben's
        ]
        for row in rows:
            connection.execute(insert(before).values(dict(zip(names, row, strict=True))))
    upgrade(revision="0012")
    with db.engine.connect() as connection:
        kept = connection.execute(
            text("SELECT id, head, group_count FROM activity WHERE head ORDER BY id")
        ).all()
        heads = {row.id: row.group_count for row in kept}
        indexes = {ix["name"] for ix in inspect(connection).get_indexes("activity")}
    assert heads == {3: 3, 4: 1, 5: 1, 7: 2, 8: 1}
    assert {"ix_activity_user_id_head_timestamp_id", "ix_activity_group"} <= indexes
    downgrade(revision="0011")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("activity")}
    assert "head" not in columns and "group_count" not in columns
    downgrade(revision="base")
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
