"""Cursors, views and "N new posts" over HTTP (SPEC 23).

"Older posts" names the last post shown, so what is posted meanwhile never makes the next
page repeat or skip one; `?page=N` still works. Loading older posts in place puts a view
in the address bar (htmx's HX-Replace-Url), which rebuilds what the reader saw. Home and
explore poll `/timeline/new`: 204 while the count is unchanged, one statement after the
user load, no write; the notice's posts come from `/timeline/new/posts`.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from microblog.database import is_sqlite
from microblog.extensions import db, limiter
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import feed, follows, posts
from microblog.services.pagination import ID_MAX, after_token, key_token, view_token
from tests.plans import explain

PAGER = re.compile(r'<a class="pager[^"]*" id="[^"]*"\s+href="([^"]+)"')
POLL = re.compile(r'class="new-posts-poll" hx-get="([^"]+)"')
BODY = re.compile(r"post number (\d\d)")


def token(text: str) -> str:
    """A page token spelled out (pagination.py's format), to forge bad ones."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def pager(page: str) -> str | None:
    found = PAGER.search(page)
    return html.unescape(found.group(1)) if found else None


def untimed(page: str) -> str:
    """Without the CSRF tokens of the rows' forms (signed with the second they were made)."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page)


def numbers(page: str) -> list[int]:
    """The posts a page or fragment shows, by number, top to bottom."""
    return [int(number) for number in BODY.findall(page)]


@pytest.fixture
def sixty(alice: User, make_post) -> list[Post]:  # noqa: ANN001
    """Sixty posts by alice, `post number 00` the newest, in four distinct minutes: ties
    are broken by id, the same way on every page."""
    now = utcnow() - timedelta(hours=1)
    made = [
        make_post(alice, f"post number {i:02d} tea", timestamp=now - timedelta(minutes=i // 15))
        for i in reversed(range(60))
    ]
    return list(reversed(made))


def publish(author: User, count: int, start: int = 60) -> list[Post]:
    """Posts written now, while a reader pages: `post number 60`... (newest last)."""
    made = []
    for i in range(start, start + count):
        post = Post(body=f"post number {i} tea", author=author, language="en")
        db.session.add(post)
        db.session.commit()
        made.append(post)
    return made


@pytest.mark.parametrize("url", ["/index", "/explore", "/user/alice", "/search?q=tea"])
def test_older_posts_neither_repeat_nor_skip_while_others_post(
    client: FlaskClient, hx, alice: User, sixty: list[Post], url: str
) -> None:
    first = client.get(url).text
    assert numbers(first) == list(range(25))
    older = pager(first)
    assert re.search(r"page=[A-Za-z0-9_-]+$", older)  # a cursor, not a number
    publish(alice, 3)  # page 1 would now start three posts later
    fragment = hx("GET", older)
    assert numbers(fragment.text) == list(range(25, 50))
    # One source: the fragment is what the full page of that URL shows.
    assert untimed(fragment.text) in untimed(client.get(older).text)
    publish(alice, 2, start=63)
    last = hx("GET", pager(fragment.text)).text
    assert numbers(last) == list(range(50, 60))
    assert pager(last) is None  # the end: no "older posts" link


def test_deleting_a_post_shown_skips_nothing(client, hx, alice, sixty) -> None:  # noqa: ANN001
    older = pager(client.get("/explore").text)
    for post in sixty[20:25]:  # the end of page 1, the cursor's own post included
        posts.delete_post(post)
    assert numbers(hx("GET", older).text) == list(range(25, 50))


def test_page_numbers_still_work_and_continue_with_a_cursor(client, hx, alice, sixty) -> None:  # noqa: ANN001
    second = client.get("/explore?page=2").text
    assert numbers(second) == list(range(25, 50))
    assert 'href="/explore?page=1"' in second  # "Newer posts"
    assert numbers(client.get(pager(second)).text) == list(range(50, 60))
    assert numbers(client.get("/explore?page=3").text) == list(range(50, 60))


def test_a_cursor_page_links_back_to_the_newest(client, alice, sixty) -> None:  # noqa: ANN001
    page = client.get(pager(client.get("/user/alice").text)).text
    assert 'href="/user/alice?page=1">Newer posts</a>' in page


def test_replies_go_the_other_way(client, hx, alice, make_post) -> None:  # noqa: ANN001
    """A thread's replies read oldest first: its cursor walks up the timeline."""
    head = make_post(alice, "the head")
    start = utcnow() - timedelta(hours=1)
    for i in range(30):
        reply = posts.create(alice, f"post number {i:02d}", None, reply_to=head, language="en")
        reply.timestamp = start + timedelta(minutes=i // 10)  # ties again
    db.session.commit()
    first = client.get(f"/post/{head.id}").text
    assert numbers(first) == list(range(25))
    more = hx("GET", pager(first)).text
    assert numbers(more) == list(range(25, 30))


# A fixed moment for the tokens below: test ids must be the same in every pytest-xdist
# worker, which collects the tests on its own.
MOMENT = datetime(2026, 11, 27, 12, 0, 0)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "YWJj",  # base64 of "abc"
        "Y" * 500,
        "ééé",
        "a\x00b",
        "-3",
        "1e9",
        "",
        after_token((MOMENT, 0), 2, (MOMENT, 1), 25, 25),  # id 0: none such
        after_token((MOMENT, ID_MAX), 2, (MOMENT, 1), 25, 25),  # out of range
        after_token((MOMENT, 5), 1, (MOMENT, 6), 25, 25),  # page 1 after something
        key_token((MOMENT, 5)),  # a key is no page
        token("v0.5.0"),  # a view of nothing
        token("v0.5.251"),  # a view longer than VIEW_MAX
        token("v0.-5.10"),  # a negative id
        token("v999999999999999999.5.2"),  # past the year 9999
        token("a0.5.2.0.6.0.25"),  # after a page of no posts
        token("a0.5.2.0.6.25"),  # a field short
        token("x0.5.2"),  # no kind of ours
    ],
)
@pytest.mark.parametrize("url", ["/explore", "/user/alice", "/search?q=tea", "/messages"])
def test_a_bad_page_value_is_the_first_page(client, alice, sixty, value, url) -> None:  # noqa: ANN001
    path, _, query = url.partition("?")
    response = client.get(path, query_string={**dict(parse_qsl(query)), "page": value})
    if "\x00" in value:  # refused before any view (microblog/inputs.py): never a 500
        assert response.status_code == 400
        return
    assert response.status_code == 200
    if path != "/messages":
        assert numbers(response.text) == list(range(25))


def test_cursors_at_the_edges_of_their_range(client, alice, sixty) -> None:  # noqa: ANN001
    """The largest id a token carries, and the first and last moments, bind on both
    databases (an INTEGER, a timestamp) and list what lies beyond them: nothing, or all."""
    from datetime import datetime

    newest = (datetime(9999, 12, 31, 23, 59), ID_MAX - 1)
    oldest = (datetime(1, 1, 1), 1)
    assert numbers(client.get(f"/explore?page={view_token(newest, 30)}").text) == list(range(30))
    everything = after_token(newest, 2, newest, 1, 25)
    assert numbers(client.get(f"/explore?page={everything}").text) == list(range(25))
    nothing = after_token(oldest, 2, oldest, 1, 25)
    assert numbers(client.get(f"/explore?page={nothing}").text) == []


def view_of(response) -> tuple[str, int]:  # noqa: ANN001
    """The address htmx puts in the bar (HX-Replace-Url): its path and the view's size."""
    url = response.headers["HX-Replace-Url"]
    token = parse_qs(urlsplit(url).query)["page"][0]
    from microblog.services.pagination import position

    return urlsplit(url).path, position(token).size


def test_loading_older_posts_in_place_names_the_view(client, hx, alice, sixty) -> None:  # noqa: ANN001
    first = client.get("/explore").text
    here = {"HX-Current-URL": "http://localhost/explore"}
    second = hx("GET", pager(first), headers=here)
    assert view_of(second) == ("/explore", 50)
    publish(alice, 3)
    view = second.headers["HX-Replace-Url"]
    # The view rebuilds what the reader had: 50 posts from the first one shown, not the new.
    restored = hx("GET", view, headers={"HX-History-Restore-Request": "true"})
    assert "<html" in restored.text and "HX-Replace-Url" not in restored.headers
    assert numbers(restored.text) == list(range(50))
    assert "Newer posts" not in restored.text
    # The next page grows the view the address bar names.
    third = hx("GET", pager(second.text), headers={"HX-Current-URL": f"http://localhost{view}"})
    assert view_of(third) == ("/explore", 75)
    assert numbers(client.get(third.headers["HX-Replace-Url"]).text) == list(range(60))
    # A plain visit of a cursor's page names nothing (the browser's own address is right).
    assert "HX-Replace-Url" not in client.get(pager(first)).headers


def test_a_view_keeps_the_search_words(client, hx, alice, sixty) -> None:  # noqa: ANN001
    older = pager(client.get("/search?q=tea").text)
    path = view_of(hx("GET", older))[0]
    assert path == "/search"
    assert "q=tea" in hx("GET", older).headers["HX-Replace-Url"]


def test_the_notice_is_on_pages_that_start_at_the_top(client, hx, alice, sixty) -> None:  # noqa: ANN001
    explore = client.get("/explore").text
    assert 'class="new-posts-region" aria-live="polite"' in explore
    assert 'class="new-posts-region"' in client.get("/index").text
    older = pager(explore)
    assert "new-posts-region" not in client.get(older).text
    assert "new-posts-region" not in client.get("/explore?page=2").text
    assert "new-posts-region" not in client.get("/user/alice").text
    assert "new-posts-region" not in hx("GET", "/explore").text  # a fragment: rows only


@pytest.fixture
def bob(make_user) -> User:  # noqa: ANN001
    return make_user("bob")


def poll_url(page: str) -> str:
    return html.unescape(POLL.search(page).group(1))


@pytest.mark.parametrize("timeline", ["home", "explore"])
def test_poll_counts_new_posts_by_others(
    client, hx, alice, bob, make_user, make_post, timeline
) -> None:  # noqa: ANN001, E501
    follows.follow(alice, bob)
    carol = make_user("carol")  # not followed: on explore only
    make_post(bob, "an old one", timestamp=utcnow() - timedelta(hours=1))
    url = poll_url(client.get("/index" if timeline == "home" else "/explore").text)
    assert "every 17s" in client.get("/explore").text
    assert hx("GET", url).status_code == 204
    posts.create(alice, "my own news", None, language="en")  # the reader's own: never new
    make_post(carol, "from carol")
    for i in range(3):
        make_post(bob, f"from bob {i}")
    answer = hx("GET", url)
    assert answer.status_code == 200
    count = 4 if timeline == "explore" else 3
    assert f"{count} new posts</a>" in answer.text
    assert f"seen={count}" in answer.text and "every 17s" in answer.text
    # The page now shows that count: 204 until it changes.
    assert hx("GET", poll_url(answer.text)).status_code == 204
    make_post(bob, "one more")
    assert f"{count + 1} new posts" in hx("GET", poll_url(answer.text)).text


def test_poll_says_20_plus_and_then_reloads_the_list(client, hx, alice, bob, make_post) -> None:  # noqa: ANN001
    url = poll_url(client.get("/explore").text)
    for i in range(feed.NEW_MAX + 5):
        make_post(bob, f"news {i}")
    answer = hx("GET", url).text
    assert "20+ new posts" in answer
    assert 'href="/explore"' in answer and "/timeline/new/posts" not in answer  # a reload
    assert hx("GET", poll_url(answer)).status_code == 204  # still 20+
    show = url.replace("/timeline/new?", "/timeline/new/posts?").split("&seen")[0]
    shown = hx("GET", show)
    assert shown.status_code == 204 and shown.headers["HX-Redirect"] == "/explore"


def test_poll_is_as_cheap_as_the_badge(app: Flask, client, hx, alice, bob, make_post) -> None:  # noqa: ANN001
    """After the user load, one indexed SELECT; no write, no cookie, no "last seen"."""
    url = poll_url(client.get("/explore").text)
    long_ago = utcnow() - timedelta(days=1)
    db.session.execute(db.update(User).where(User.id == alice.id).values(last_seen=long_ago))
    db.session.commit()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.expunge_all()
        unchanged = hx("GET", url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert unchanged.status_code == 204 and unchanged.text == ""
    assert len(statements) == 2, statements  # the user (Flask-Login), the count
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    assert "Set-Cookie" not in unchanged.headers
    assert unchanged.headers["Cache-Control"] == "private, no-store"
    assert "HX-Request" in unchanged.headers["Vary"]
    db.session.expire_all()
    assert db.session.get(User, alice.id).last_seen == long_ago


def test_the_count_walks_the_timestamp_index(app: Flask, alice, bob, make_post) -> None:  # noqa: ANN001
    for i in range(50):
        make_post(bob, f"old {i}", timestamp=utcnow() - timedelta(minutes=i))
    after = {"reader_id": alice.id, "after_ts": utcnow(), "after_id": 1}
    sqlite = is_sqlite(db.session.get_bind())
    plan = explain(feed.COUNT_NEW["explore", sqlite], after)
    if sqlite:
        assert "ix_post_timestamp_id (timestamp>?)" in plan, plan
    else:
        assert "ix_post_timestamp_id" in plan, plan
        assert 'ROW("timestamp", id) >' in plan, plan
    assert feed.count_new(alice, "explore", (utcnow() - timedelta(minutes=10), 1)) == 10


def test_poll_signed_out_or_without_a_place_stops(client, hx, alice, sixty) -> None:  # noqa: ANN001
    url = poll_url(client.get("/explore").text)
    bad = hx("GET", "/timeline/new?timeline=explore&after=nonsense")
    assert bad.status_code == 200 and "hx-trigger" not in bad.text
    client.post("/auth/logout")
    out = hx("GET", url)
    assert out.status_code == 200 and "hx-trigger" not in out.text
    assert 'id="new-posts"' in out.text


def test_poll_and_show_without_htmx_are_the_list(client, alice, sixty) -> None:  # noqa: ANN001
    url = poll_url(client.get("/index").text)
    answer = client.get(url)
    assert answer.status_code == 302 and answer.headers["Location"] == "/index"
    show = client.get("/timeline/new/posts?timeline=explore&after=")
    assert show.status_code == 302 and show.headers["Location"] == "/explore"
    assert client.get("/timeline/new?timeline=nowhere").status_code == 404


def test_show_puts_the_new_posts_on_top(client, hx, alice, bob, make_post, sixty) -> None:  # noqa: ANN001
    url = poll_url(client.get("/explore").text)
    posts.create(alice, "my own news", None, language="en")
    new = [make_post(bob, f"from bob {i}") for i in range(3)]
    notice = hx("GET", url).text
    show = html.unescape(re.search(r'hx-get="(/timeline/new/posts[^"]+)"', notice).group(1))
    shown = hx("GET", show, headers={"HX-Current-URL": "http://localhost/explore"})
    assert shown.status_code == 200
    rows = re.findall(r'<article class="post[^"]*" id="post-(\d+)"', shown.text)
    assert rows == [str(post.id) for post in reversed(new)]  # newest first; not her own
    assert 'class="new-posts-batch" role="group" tabindex="-1" autofocus' in shown.text
    # The notice waits again, from the newest post shown, out of band.
    again = re.search(r'<div id="new-posts".*?</div>', shown.text, re.S).group(0)
    assert 'hx-swap-oob="outerHTML:#new-posts"' in again and "seen=0" in again
    assert f"after={key_token((new[-1].timestamp, new[-1].id))}" in html.unescape(again)
    # The address bar names the list with them: 25 shown + 3.
    assert view_of(shown) == ("/explore", 28)
    # Rebuilt, it holds them and the posts below; her own post, written elsewhere, too.
    restored = client.get(shown.headers["HX-Replace-Url"]).text
    assert all(f"from bob {i}" in restored for i in range(3))
    assert "my own news" in restored and numbers(restored) == list(range(24))


@pytest.fixture
def no_default_limits_after() -> Iterator[None]:
    yield
    limiter.limit_manager.set_default_limits([])


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "1 per minute"}]
)
def test_the_poll_is_never_limited(no_default_limits_after, client, hx, alice) -> None:  # noqa: ANN001
    url = "/timeline/new?timeline=explore&after=&seen=0"
    for _ in range(5):
        assert hx("GET", url).status_code == 204


@pytest.mark.parametrize(
    "current",
    [
        "http://[::1",
        "not a url",
        "http://localhost/post/1/delete",  # a POST-only route
        "http://localhost/nowhere?page=1",
        "http://localhost/explore?page=%ZZ&page=",
        "http://localhost/explore/?page=1",  # a redirect
        f"http://localhost/user/alice?page={view_token((MOMENT, 5), 60)}",  # another list
    ],
)
def test_any_current_url_names_the_view_from_the_link(
    client, hx, alice, make_user, make_post, current
) -> None:  # noqa: ANN001
    """HX-Current-URL is the browser's say: whatever it holds, the answer is the next page
    and the view of the page the link was under (50 posts), never an error. (Bob's posts:
    the rows of the reader's own carry controls that read the header too.)"""
    bob, start = make_user("bob"), utcnow() - timedelta(hours=1)
    for i in reversed(range(60)):
        make_post(bob, f"post number {i:02d}", timestamp=start - timedelta(minutes=i // 15))
    explore = client.get("/explore").text
    answer = hx("GET", pager(explore), headers={"HX-Current-URL": current})
    assert answer.status_code == 200
    assert numbers(answer.text) == list(range(25, 50))
    assert view_of(answer) == ("/explore", 50)
    make_post(bob, "news")
    show = poll_url(explore).replace("/timeline/new?", "/timeline/new/posts?")
    shown = hx("GET", show, headers={"HX-Current-URL": current})
    assert shown.status_code == 200 and "news" in shown.text
    assert view_of(shown) == ("/explore", 26)  # the page's 25 and the new one


def test_a_cursor_page_walks_the_timestamp_index(app: Flask, alice, bob, make_post) -> None:  # noqa: ANN001
    """The page after a cursor is a range of ix_post_timestamp_id, bounded by the cursor's
    row value (EXPLAIN on either database), not a scan of every post."""
    for i in range(50):
        make_post(bob, f"old {i}", timestamp=utcnow() - timedelta(minutes=i))
    params = {
        "reader_id": alice.id,
        "cursor_ts": utcnow() - timedelta(minutes=20),
        "cursor_id": 30,
        "limit": 26,
        "offset": 0,
    }
    text_plan = explain(feed.EXPLORE.statement, params)
    if is_sqlite(db.session.get_bind()):
        assert "ix_post_timestamp_id (timestamp<?)" in text_plan, text_plan
    else:
        # A small table gets a bitmap scan of the index; a large one (bench/) walks it
        # backwards: either way the cursor's row value is the index condition.
        assert 'Index Cond: (ROW("timestamp", id) <' in text_plan, text_plan
        assert re.search(
            r"Index (Only )?Scan (Backward )?(using|on) ix_post_timestamp_id", text_plan
        )
