"""Posting from home, timelines, explore, pagination, and the htmx fragments for them."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Post
from microblog.models.base import utcnow
from microblog.services import follows


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def test_post_without_js_redirects_and_shows_post(client, alice):
    response = client.post("/index", data={"post": "My first post"})
    assert response.status_code == 303 and response.headers["Location"] == "/index"
    page = client.get("/index").text
    assert "My first post" in page and "Your post is now live!" in page
    stored = db.session.scalar(select(Post))
    assert stored.author == alice and stored.language == "en"


def test_post_language_is_detected(client, alice):
    client.post("/index", data={"post": "Hoy es un día muy bonito para salir a caminar"})
    assert db.session.scalar(select(Post.language)) == "es"


def test_post_with_htmx_returns_new_post_and_fresh_form(hx, alice):
    response = hx("POST", "/index", data={"post": "Hello <b>htmx</b>"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="post-form"' in response.text
    assert 'hx-swap-oob="afterbegin:#post-list"' in response.text
    assert "Hello &lt;b&gt;htmx&lt;/b&gt;" in response.text  # user text is escaped
    assert "<textarea" in response.text and "Hello" not in response.text.split("</form>")[0]
    assert 'hx-swap-oob="innerHTML:#flashes"' in response.text  # replaces, never piles up
    assert (
        response.headers["Vary"].startswith("HX-Request")
        or "HX-Request" in response.headers["Vary"]
    )


@pytest.mark.parametrize("body", ["", "   ", "x" * 141])
def test_bad_post_is_refused_with_visible_error(client, hx, alice, body):
    for response in (
        client.post("/index", data={"post": body}),
        hx("POST", "/index", data={"post": body}),
    ):
        assert response.status_code == 422
        assert "invalid-feedback" in response.text
    assert post_count() == 0


def test_post_of_140_unicode_characters_is_kept(client, alice):
    body = "ñ€😀" * 46 + "ab"  # 140 code points, more bytes
    assert len(body) == 140
    client.post("/index", data={"post": body})
    assert db.session.scalar(select(Post.body)) == body


@pytest.mark.parametrize(
    ("data", "status", "stored"),
    [
        ({"post": "a\x00b"}, 422, []),  # refused next to the field
        ({"post": ["one", "two"]}, 303, ["one"]),  # a repeated field: its first value
    ],
    ids=["nul", "repeated-field"],
)
def test_odd_input_never_500(client, alice, data, status, stored):
    response = client.post("/index", data=data)
    assert response.status_code == status
    assert list(db.session.scalars(select(Post.body))) == stored


def test_file_sent_to_text_field_is_refused(client, alice, tmp_path):
    import io

    response = client.post(
        "/index",
        data={"post": (io.BytesIO(b"\x89PNG\x00\x01"), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert post_count() == 0


def test_home_shows_own_and_followed_posts_only(client, alice, make_user, make_post):
    bob, carol = make_user("bob"), make_user("carol")
    follows.follow(alice, bob)
    make_post(alice, "from alice")
    make_post(bob, "from bob")
    make_post(carol, "from carol")
    home = client.get("/index").text
    assert "from alice" in home and "from bob" in home and "from carol" not in home
    explore = client.get("/explore").text
    assert all(text in explore for text in ("from alice", "from bob", "from carol"))


def test_timelines_are_newest_first(client, alice, make_post):
    now = utcnow()
    for age, body in [(3, "oldest"), (1, "newest"), (2, "middle")]:
        make_post(alice, body, timestamp=now - timedelta(minutes=age))
    page = client.get("/explore").text
    assert page.index("newest") < page.index("middle") < page.index("oldest")


@pytest.fixture
def thirty_posts(alice, make_post):
    now = utcnow()
    return [
        make_post(alice, f"post number {i:02d}", timestamp=now - timedelta(minutes=i))
        for i in range(30)
    ]


@pytest.mark.parametrize("url", ["/index", "/explore", "/user/alice"])
def test_pagination_and_fragment_parity(client, hx, thirty_posts, url):
    first = client.get(url).text
    assert "post number 00" in first and "post number 24" in first
    assert "post number 25" not in first
    sep = "&" if "?" in url else "?"
    # "older posts": the same list, after its last post (a cursor); ?page=2 works too.
    assert re.search(rf'href="{re.escape(url)}\?page=[\w-]+"\s+hx-get=', first)
    fragment = hx("GET", f"{url}{sep}page=2")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<nav" not in fragment.text
    assert "post number 25" in fragment.text and "post number 29" in fragment.text
    assert "post number 24" not in fragment.text
    assert 'class="pager' not in fragment.text  # last page: no "older posts" link
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.headers["Cache-Control"] == "private, no-store"
    # One source: the fragment is exactly what the full page shows for page 2.
    assert fragment.text in client.get(f"{url}{sep}page=2").text


def test_pager_link_is_htmx_and_plain_link(client, thirty_posts):
    page = client.get("/explore").text
    link = re.search(r'href="(/explore\?page=[\w-]+)"\s+hx-get="([^"]+)"', page)
    assert link and link.group(1) == link.group(2)
    assert 'hx-trigger="click, revealed"' in page and 'hx-swap="outerHTML"' in page


@pytest.mark.parametrize("extra", ["_method=POST", "_external=1", "_anchor=x", "_scheme=x"])
def test_pager_links_ignore_url_for_arguments_in_the_query(client, thirty_posts, extra):
    """Only `page` (and what a list declares it keeps) reaches the pager's links."""
    response = client.get(f"/explore?{extra}")
    assert response.status_code == 200
    assert pager_arguments(response.text) == [("/explore", ["page"])]
    assert 'href="http' not in response.text and "#x" not in response.text


def pager_arguments(page: str) -> list[tuple[str, list[str]]]:
    """Each pager link's path and query argument names. (Rows carry the page's own URL, with
    its arguments, for their controls to come back to: only the pager is looked at.)"""
    links = re.findall(r'<a class="pager[^>]*?href="([^"]*)"', page)
    return [(urlsplit(link).path, list(parse_qs(urlsplit(link).query))) for link in links]


def test_pager_links_drop_unknown_query_arguments(client, thirty_posts):
    page = client.get("/user/alice?utm_source=x&page=1").text
    assert pager_arguments(page) == [("/user/alice", ["page"])]


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999999999999999999", "1e9", ""])
def test_absurd_page_values(client, thirty_posts, page):
    response = client.get(f"/explore?page={page}")
    assert response.status_code == 200


def test_huge_page_is_empty_not_an_error(client, thirty_posts):
    response = client.get("/explore?page=999999")
    assert response.status_code == 200
    assert "post number" not in response.text
    assert "Nothing here yet." in response.text


def test_boosted_request_gets_the_full_page(client, hx, thirty_posts):
    response = hx("GET", "/explore", headers={"HX-Boosted": "true"})
    assert "<html" in response.text
    response = hx("GET", "/explore", headers={"HX-History-Restore-Request": "true"})
    assert "<html" in response.text


@pytest.mark.parametrize(
    ("url", "expected"),
    # The user (Flask-Login), the navbar's badge, the page's rows; a profile also reads its
    # user by name, with the follow state and both counts in the same statement. Home's
    # way (by author or by time) comes with the user: its following_count.
    [("/index", 3), ("/explore", 3), ("/user/alice", 4)],
)
def test_constant_number_of_queries_per_page(
    app, client, alice, make_user, make_post, url, expected
):
    """Rendering 25 posts by 25 authors costs as many statements as rendering 1."""
    authors = [make_user(f"author{i}") for i in range(25)]
    for author in authors:
        follows.follow(alice, author)

    def count_queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    make_post(alice, "one post")
    assert count_queries() == expected
    for author in authors[:24]:
        make_post(author, f"post by {author.username}")
    assert count_queries() == expected
