"""Replies and threads: /post/<id> shows the post it replies to, the post, its replies
oldest first (paginated) and a reply form; every row links to its thread."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import follows, posts
from tests.conftest import PASSWORD


def reply(author: User, parent: Post, body: str, minutes_ago: float = 0) -> Post:
    """A stored reply `minutes_ago` old (its parent's count and Activity kept, as posting does)."""
    post = posts.create(author, body, reply_to=parent, language="en")
    if minutes_ago:
        post.timestamp = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()
    return post


def replies_to(post: Post) -> list[Post]:
    query = select(Post).where(Post.reply_to_id == post.id).order_by(Post.id)
    return list(db.session.scalars(query))


def rows(html: str) -> list[int]:
    """The ids of the post rows in `html`, in order."""
    return [int(n) for n in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', html)]


@pytest.fixture
def bob(make_user) -> User:  # noqa: ANN001
    return make_user("bob")


@pytest.fixture
def thread(alice, bob, make_post) -> Post:  # noqa: ANN001
    """bob's post, with two replies: alice's (older) and bob's own (newer)."""
    post = make_post(bob, "What is your favourite tea?")
    reply(alice, post, "Green tea, always.", minutes_ago=2)
    reply(bob, post, "Mine is black tea.", minutes_ago=1)
    return post


# --- the page ---------------------------------------------------------------------------


def test_thread_shows_the_post_emphasised_then_its_replies_oldest_first(client, thread):
    response = client.get(f"/post/{thread.id}")
    assert response.status_code == 200
    html = response.text
    assert "<title>Post by bob · Microblog</title>" in html
    assert '<h1 class="h3">Post by bob</h1>' in html
    first, second = replies_to(thread)
    assert rows(html) == [thread.id, first.id, second.id]
    main = html[html.index('class="thread-post') : html.index('id="reply-list"')]
    assert "What is your favourite tea?" in main and "Green tea" not in main
    replies = html[html.index('id="reply-list"') :]
    assert replies.index("Green tea, always.") < replies.index("Mine is black tea.")
    assert replies.count("Replying to @bob") == 2
    assert "No replies yet." in html  # hidden by the stylesheet while there are rows


def test_a_reply_page_shows_the_post_it_replies_to_above_it(client, alice, thread):
    first = replies_to(thread)[0]
    html = client.get(f"/post/{first.id}").text
    assert "<title>Post by alice · Microblog</title>" in html
    assert rows(html) == [thread.id, first.id]
    parent = html[html.index('class="thread-parent"') : html.index('class="thread-post')]
    assert "What is your favourite tea?" in parent
    assert f'<a class="link-secondary" href="/post/{thread.id}">Replying to @bob</a>' in html


def test_a_reply_to_a_deleted_post_says_so(client, alice, thread):
    first = replies_to(thread)[0]
    posts.delete_post(thread)
    html = client.get(f"/post/{first.id}").text
    assert rows(html) == [first.id]
    assert "thread-parent" not in html
    assert "Replying to a deleted post" in html and "Replying to @bob" not in html


@pytest.mark.parametrize("url", ["/post/999", "/post/abc", "/post/99999999999999999999"])
def test_unknown_post_is_404(client, hx, alice, url):
    assert client.get(url).status_code == 404
    response = hx("GET", url)
    assert response.status_code == 404 and "<html" not in response.text
    assert client.post(url, data={"post": "hello"}).status_code in (404, 405)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_thread_needs_a_login(client, bob, make_post):
    post = make_post(bob, "hi")
    response = client.get(f"/post/{post.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_post_without_replies(client, bob, alice, make_post):
    post = make_post(bob, "Anyone?")
    html = client.get(f"/post/{post.id}").text
    assert rows(html) == [post.id]
    assert "No replies yet." in html and "More replies" not in html


# --- replying ---------------------------------------------------------------------------


def test_reply_without_js_redirects_to_the_new_reply(client, alice, bob, make_post):
    post = make_post(bob, "Hello")
    response = client.post(f"/post/{post.id}", data={"post": "Hi bob!"})
    assert response.status_code == 303
    (stored,) = replies_to(post)
    assert response.headers["Location"] == f"/post/{post.id}#post-{stored.id}"
    assert stored.author == alice and stored.reply_to_user_id == bob.id
    html = client.get(f"/post/{post.id}").text
    assert rows(html) == [post.id, stored.id]
    assert "Your reply is now live!" in html
    assert 'aria-label="1 reply"' in html


def test_reply_with_htmx_appends_it_and_resets_the_form(hx, alice, thread):
    response = hx("POST", f"/post/{thread.id}", data={"post": "Oolong <b>too</b>"})
    assert response.status_code == 200 and "<html" not in response.text
    html = response.text
    new = replies_to(thread)[-1]
    assert new.body == "Oolong <b>too</b>" and new.author == alice
    # The form comes back empty, with a new submission key...
    form = html[: html.index("</form>")]
    assert form.startswith('<form id="reply-form"')
    assert re.search(r'<textarea[^>]*id="post"[^>]*>\s*</textarea>', form)
    # ...the reply goes at the end of the replies, its text escaped...
    appended = html[html.index('hx-swap-oob="beforeend:#reply-list"') :]
    assert rows(appended) == [new.id]
    assert "Oolong &lt;b&gt;too&lt;/b&gt;" in appended
    # ...the post's reply count changes where it shows, and the flash says so.
    assert f'hx-swap-oob="outerHTML:.reply-link-{thread.id}"' in html
    assert 'aria-label="3 replies"' in html
    assert "Your reply is now live!" in html


def test_the_same_reply_form_sent_twice_stores_one_reply(client, alice, bob, make_post):
    post = make_post(bob, "Hello")
    key = "k" * 22
    for _ in range(2):
        client.post(f"/post/{post.id}", data={"post": "Once", "submission_key": key})
    assert len(replies_to(post)) == 1
    assert db.session.get(Post, post.id).reply_count == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 141, "Field must be between 1 and 140 characters long."),
    ],
)
def test_a_refused_reply_shows_the_error_next_to_the_field_and_keeps_the_text(
    client, hx, alice, thread, text, error
):
    before = len(replies_to(thread))
    for send in (client.post, lambda url, data: hx("POST", url, data=data)):
        response = send(f"/post/{thread.id}", data={"post": text})
        assert response.status_code == 422
        html = response.text
        field = html[html.index('<form id="reply-form"') :]
        assert 'class="form-control is-invalid"' in field
        assert f'<div class="invalid-feedback" id="post-error-1">{error}</div>' in field
        assert text.strip() in field
    assert "<html" in client.post(f"/post/{thread.id}", data={"post": ""}).text
    assert len(replies_to(thread)) == before


def test_reply_to_a_reply(client, alice, bob, thread):
    first = replies_to(thread)[0]
    client.post(f"/post/{first.id}", data={"post": "Really? @alice"}, follow_redirects=False)
    (nested,) = replies_to(first)
    html = client.get(f"/post/{nested.id}").text
    assert rows(html) == [first.id, nested.id]
    assert f'<a class="link-secondary" href="/post/{first.id}">Replying to @alice</a>' in html


def test_the_reply_form_checks_its_budget_as_the_author_types(client, alice, thread):
    html = client.get(f"/post/{thread.id}").text
    start = html.index('<form id="reply-form"')
    form = html[start : html.index("</form>", start)]
    assert re.search(
        rf'method="post" action="/post/{thread.id}"\s+hx-post="/post/{thread.id}"', form
    )
    assert 'hx-post="/post/check"' in form and 'id="post-budget"' in form
    assert 'name="submission_key"' in form and 'name="post"' in form
    assert "Your reply" in form and ">Reply</button>" in form


# --- rows everywhere link to their thread ---------------------------------------------


def test_every_row_links_to_its_thread_by_its_time(client, alice, thread):
    first, second = replies_to(thread)
    html = client.get("/explore").text
    for post in (thread, first, second):
        assert re.search(rf'class="post-permalink[^"]*" href="/post/{post.id}"><time ', html)
    assert html.count(f'<a class="link-secondary" href="/post/{thread.id}">Replying to @bob') == 2


@pytest.mark.parametrize(("count", "name"), [(0, None), (1, "1 reply"), (3, "3 replies")])
def test_the_reply_link_says_how_many_replies(client, alice, bob, make_post, count, name):
    post = make_post(bob, "Count me")
    for i in range(count):
        reply(alice, post, f"reply {i}")
    html = client.get(f"/user/{bob.username}").text
    link = re.search(rf'<a class="reply-link reply-link-{post.id} [^>]*>.*?</a>', html, re.S)
    assert link is not None
    assert f'href="/post/{post.id}"' in link.group()
    if name is None:
        assert "aria-label" not in link.group() and link.group().endswith("Reply</a>")
    else:
        assert f'aria-label="{name}"' in link.group()
        assert link.group().endswith(f"{count}</a>")
    assert " btn " in link.group()  # 44 px on touch screens (static/css/microblog.css)


def test_a_reply_is_on_the_timelines_of_its_authors_followers(
    app, client, login, make_user, bob, make_post
):
    carol, dave = make_user("carol"), make_user("dave")
    follows.follow(carol, bob)
    post = make_post(dave, "A post by dave")
    reply(bob, post, "bob answers dave")
    login(carol)
    home = client.get("/index").text
    assert "bob answers dave" in home and "Replying to @dave" in home
    assert "A post by dave" not in home  # carol does not follow dave
    assert "bob answers dave" in client.get("/user/bob").text


# --- pages of replies -------------------------------------------------------------------


@pytest.fixture
def long_thread(alice, bob, make_post) -> Post:  # noqa: ANN001
    post = make_post(bob, "Tell me everything")
    now = utcnow()
    db.session.add_all(
        Post(
            body=f"reply number {i:02d}",
            author=alice,
            language="en",
            reply_to_id=post.id,
            reply_to_user_id=bob.id,
            timestamp=now - timedelta(minutes=60 - i),
        )
        for i in range(30)
    )
    post.reply_count = 30
    db.session.commit()
    return post


def test_replies_are_paginated_with_a_more_replies_link(client, hx, long_thread):
    html = client.get(f"/post/{long_thread.id}").text
    assert "reply number 00" in html and "reply number 24" in html
    assert "reply number 25" not in html
    assert html.index("reply number 00") < html.index("reply number 24")
    # The shared pager: a real link (a number or a cursor after the last reply shown).
    link = re.search(
        r'<a class="pager [^"]*" id="pager-2"\s+href="([^"]+)"[^>]*>([^<]*)</a>', html
    )
    assert link is not None and link.group(2) == "More replies"
    more = link.group(1)
    assert more.startswith(f"/post/{long_thread.id}?page=")
    # htmx swaps the link for the next replies (and no further link: it is the last page).
    fragment = hx("GET", more)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "reply number 25" in fragment.text and "reply number 29" in fragment.text
    assert "reply number 24" not in fragment.text and "More replies" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # The fragment is what the full page shows.
    page = client.get(more).text
    assert fragment.text in page
    assert "Tell me everything" in page and "Earlier replies" in page
    # Pages by number work too.
    assert rows(client.get(f"/post/{long_thread.id}?page=2").text)[1:] == rows(fragment.text)


def test_a_reply_sent_without_js_beyond_the_first_page_lands_on_its_page(client, long_thread):
    response = client.post(f"/post/{long_thread.id}", data={"post": "number 31"})
    new = replies_to(long_thread)[-1]
    assert response.headers["Location"] == f"/post/{long_thread.id}?page=2#post-{new.id}"
    assert f'id="post-{new.id}"' in client.get(f"/post/{long_thread.id}?page=2").text


def test_a_reply_sent_with_htmx_while_more_replies_wait_goes_to_its_page(hx, long_thread):
    """Appended under a list that stops short of the end, the reply would show again when
    "More replies" loads: the reader is taken to it on its page, as without JavaScript."""
    thread = f"http://localhost/post/{long_thread.id}"
    response = hx(
        "POST",
        f"/post/{long_thread.id}",
        data={"post": "number 31"},
        headers={"HX-Current-URL": thread},
    )
    new = replies_to(long_thread)[-1]
    assert new.body == "number 31"
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/post/{long_thread.id}?page=2#post-{new.id}"
    page = hx("GET", response.headers["HX-Redirect"], headers={"HX-Boosted": "true"}).text
    assert "Your reply is now live!" in page and rows(page).count(new.id) == 1


def test_a_reply_sent_with_htmx_after_all_replies_were_loaded_is_appended(hx, long_thread):
    # The reader loaded the rest in place: the address bar names all 30 replies.
    first = hx("GET", f"/post/{long_thread.id}").text
    more = re.search(r'id="pager-2"\s+href="([^"]+)"', first).group(1)
    shown = hx("GET", more).headers["HX-Replace-Url"]
    response = hx(
        "POST",
        f"/post/{long_thread.id}",
        data={"post": "number 31"},
        headers={"HX-Current-URL": f"http://localhost{shown}"},
    )
    new = replies_to(long_thread)[-1]
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert "HX-Replace-Url" not in response.headers  # that address shows it too
    appended = response.text[response.text.index('hx-swap-oob="beforeend:#reply-list"') :]
    assert rows(appended) == [new.id]


@pytest.mark.parametrize("replies", [0, 24, 25])
def test_replies_sent_one_after_another_are_appended_and_named_in_the_address_bar(
    hx, client, alice, bob, make_post, replies
):
    """Each appended reply is in what the address bar names (as a browser sends it back,
    HX-Current-URL): the thread's own address while its first page holds them, a view of
    the replies shown beyond. So the next one follows it in place, and a reload shows
    them all, once each."""
    post = make_post(bob, "Count with me")
    for n in range(replies):
        reply(bob, post, f"{n}", minutes_ago=60 - n)
    current = f"/post/{post.id}"
    for n in range(3):
        response = hx(
            "POST",
            f"/post/{post.id}",
            data={"post": f"mine {n}"},
            headers={"HX-Current-URL": f"http://localhost{current}"},
        )
        assert response.status_code == 200 and "HX-Redirect" not in response.headers
        beyond_the_first_page = replies + n + 1 > 25
        assert ("HX-Replace-Url" in response.headers) is beyond_the_first_page
        current = response.headers.get("HX-Replace-Url", current)
        assert current.startswith(f"/post/{post.id}")
    ids = [item.id for item in replies_to(post)]
    assert rows(client.get(current).text) == [post.id, *ids]


def test_a_thread_page_costs_the_same_statements_for_1_or_25_replies(
    app, client, alice, make_user, make_post
):
    """One statement more than explore (the post and its parent, then the replies),
    however many replies and authors."""
    authors = [make_user(f"author{i}") for i in range(25)]
    root = make_post(authors[0], "root")
    post = posts.create(alice, "the post", reply_to=root, language="en")

    def count_queries(url: str) -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    reply(authors[0], post, "one reply")
    expected = count_queries("/explore") + 1
    assert count_queries(f"/post/{post.id}") == expected
    for author in authors[1:]:
        reply(author, post, f"reply by {author.username}")
    assert count_queries(f"/post/{post.id}") == expected


def test_boosted_and_history_requests_get_the_whole_page(hx, thread):
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        assert "<html" in hx("GET", f"/post/{thread.id}", headers={header: "true"}).text


# --- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_POST": "2 per minute"}]
)
def test_replies_are_rate_limited_as_posts_are(client, make_user, login, make_post):
    from microblog.extensions import limiter

    limiter.reset()
    bob = make_user("bob")
    login(make_user("alice"), PASSWORD)
    post = make_post(bob, "Hello")
    for i in range(2):
        assert client.post(f"/post/{post.id}", data={"post": f"hi {i}"}).status_code == 303
    response = client.post(f"/post/{post.id}", data={"post": "hi again"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert client.get(f"/post/{post.id}").status_code == 200  # reading is not limited
    assert len(replies_to(post)) == 2


def test_a_reply_in_the_language_its_author_chose(client, alice, bob, make_post):
    """The reply form offers the composer's language select; what is chosen is stored,
    and "Detect automatically" detects."""
    post = make_post(bob, "Hello")
    form = client.get(f"/post/{post.id}").text
    form = form[form.index('<form id="reply-form"') :]
    assert '<label class="form-label" for="language">Language</label>' in form
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', form)
    assert options[:2] == [("", "Detect automatically"), ("und", "Unknown language")]
    assert ("es", "Spanish") in options
    client.post(f"/post/{post.id}", data={"post": "Ok, ok", "language": "es"})
    text = "¿Dónde está la biblioteca? Necesito encontrar un libro sobre historia antigua."
    client.post(f"/post/{post.id}", data={"post": text, "language": ""})
    assert [reply.language for reply in replies_to(post)] == ["es", "es"]
