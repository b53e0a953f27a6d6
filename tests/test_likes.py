"""Likes: POST /post/<id>/like and /unlike, the toggle on every row, one like per reader."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, PostLike, User
from microblog.services import follows, likes
from tests.conftest import PASSWORD, without_csrf_token

HX = {"HX-Request": "true"}
# The page's token, as htmx sends it (<body hx-headers>).
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def like_form(html: str, post_id: int) -> str:
    """The like form of post `post_id` in a page or fragment."""
    found = re.search(rf'<form class="like-form" id="like-{post_id}".*?</form>', html, re.S)
    assert found, html
    return found.group(0)


def shows(html: str, post_id: int, *, liked: bool, count: int) -> bool:
    """Whether the row's button says `liked` (pressed, the form unlikes) and `count`."""
    form = like_form(html, post_id)
    action = "unlike" if liked else "like"
    word = "like" if count == 1 else "likes"
    return (
        f'action="/post/{post_id}/{action}"' in form
        and f'hx-post="/post/{post_id}/{action}"' in form
        and f'aria-pressed="{"true" if liked else "false"}"' in form
        and f'<span class="like-count" aria-hidden="true">{count}</span>' in form
        and f"Like, {count} {word}" in form
    )


def stored(post: Post) -> tuple[int, int]:
    """The post's kept count and its rows in post_like."""
    db.session.expire_all()
    count = db.session.get(Post, post.id).like_count
    rows = db.session.scalar(
        select(func.count()).select_from(PostLike).where(PostLike.post_id == post.id)
    )
    return count, rows


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def post(make_post: Callable[..., Post], bob: User) -> Post:
    return make_post(bob, "Tea is ready")


def test_every_row_has_the_toggle(client, alice, bob, post, make_post):
    follows.follow(alice, bob)
    mine = make_post(alice, "my own")
    for url in ("/index", "/explore", "/user/bob"):
        page = client.get(url).text
        assert shows(page, post.id, liked=False, count=0), url
    assert shows(client.get("/user/alice").text, mine.id, liked=False, count=0)


def test_like_and_unlike_without_js_return_to_the_page(client, alice, bob, post):
    response = client.post(f"/post/{post.id}/like", data={"next": "/explore?page=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/explore?page=1#post-{post.id}"
    assert stored(post) == (1, 1)
    assert shows(client.get("/explore").text, post.id, liked=True, count=1)

    response = client.post(f"/post/{post.id}/unlike", data={"next": "/index"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/index#post-{post.id}"
    assert stored(post) == (0, 0)
    assert shows(client.get("/explore").text, post.id, liked=False, count=0)


def test_the_form_says_where_to_come_back(client, alice, bob, post):
    """The page's own path and query; for an htmx request, the page that sent it."""
    form = like_form(client.get("/explore?page=1").text, post.id)
    assert '<input type="hidden" name="next" value="/explore?page=1">' in form
    form = like_form(client.get("/user/bob").text, post.id)
    assert '<input type="hidden" name="next" value="/user/bob">' in form
    fragment = client.post(
        f"/post/{post.id}/like", headers={**HX, "HX-Current-URL": "http://localhost/index#top"}
    ).text
    assert '<input type="hidden" name="next" value="/index">' in fragment


@pytest.mark.parametrize(
    "next_url",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/x\r\nSet-Cookie: a=b",
    ],
)
def test_a_next_off_this_site_goes_to_the_author(client, alice, bob, post, next_url):
    data = {} if next_url is None else {"next": next_url}
    response = client.post(f"/post/{post.id}/like", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/user/bob#post-{post.id}"
    assert stored(post) == (1, 1)


def test_a_bad_current_url_header_is_no_500(client, alice, bob, post):
    response = client.post(
        f"/post/{post.id}/like", headers={**HX, "HX-Current-URL": "http://[::1"}
    )
    assert response.status_code == 200
    assert 'name="next"' not in response.text
    assert shows(response.text, post.id, liked=True, count=1)


def test_htmx_gets_the_toggled_button(hx, client, alice, bob, post):
    response = hx("POST", f"/post/{post.id}/like")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert shows(response.text, post.id, liked=True, count=1)
    assert 'hx-swap="outerMorph"' in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert stored(post) == (1, 1)

    response = hx("POST", f"/post/{post.id}/unlike")
    assert shows(response.text, post.id, liked=False, count=0)
    assert stored(post) == (0, 0)


def test_the_fragment_is_the_row_in_the_page(hx, client, alice, bob, post):
    """One source: the button a like answers is the one the page shows."""
    fragment = hx(
        "POST", f"/post/{post.id}/like", headers={"HX-Current-URL": "http://localhost/explore"}
    ).text.strip()
    page = client.get("/explore").text
    assert without_csrf_token(fragment) in without_csrf_token(page)


def test_like_and_unlike_are_idempotent(hx, client, alice, bob, post):
    for _ in range(3):
        assert client.post(f"/post/{post.id}/like").status_code == 303
    assert stored(post) == (1, 1)
    assert shows(hx("POST", f"/post/{post.id}/like").text, post.id, liked=True, count=1)
    for _ in range(3):
        assert client.post(f"/post/{post.id}/unlike").status_code == 303
    assert stored(post) == (0, 0)
    assert shows(hx("POST", f"/post/{post.id}/unlike").text, post.id, liked=False, count=0)


def test_the_author_is_told_once_and_untold(client, alice, bob, post):
    def told() -> int:
        query = select(func.count()).where(
            Activity.user_id == bob.id, Activity.actor_id == alice.id, Activity.kind == Kind.LIKE
        )
        return db.session.scalar(query)

    client.post(f"/post/{post.id}/like")
    client.post(f"/post/{post.id}/like")
    assert told() == 1
    client.post(f"/post/{post.id}/unlike")
    assert told() == 0


def test_liking_your_own_post(client, alice, make_post):
    mine = make_post(alice, "mine")
    assert client.post(f"/post/{mine.id}/like").status_code == 303
    assert stored(mine) == (1, 1)
    assert shows(client.get("/user/alice").text, mine.id, liked=True, count=1)


def log_in(client: FlaskClient, username: str) -> None:
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303


def test_two_readers_each_see_their_own_like(app: Flask, client, alice, bob, post, make_user):
    """alice's like is a count to bob, not his own pressed button; pages are private."""
    cy = make_user("cy")
    client.post(f"/post/{post.id}/like")
    other = app.test_client()
    log_in(other, "bob")
    third = app.test_client()
    log_in(third, "cy")
    for url in ("/explore", "/index", "/user/bob"):
        mine, his = client.get(url), other.get(url)
        if url != "/index":  # alice does not follow bob: his post is not on her home
            assert shows(mine.text, post.id, liked=True, count=1), url
        assert shows(his.text, post.id, liked=False, count=1), url
        for response in (mine, his):
            assert response.headers["Cache-Control"] == "private, no-store"
            assert "HX-Request" in response.headers["Vary"]
    # The same in a fragment (a next page loaded in place).
    fragment = other.get("/explore?page=1", headers=HX)
    assert "<html" not in fragment.text
    assert shows(fragment.text, post.id, liked=False, count=1)
    assert fragment.headers["Cache-Control"] == "private, no-store"
    # bob likes too: each sees their own state, both see 2; cy sees 2, pressed for no one.
    other.post(f"/post/{post.id}/like")
    assert shows(client.get("/explore").text, post.id, liked=True, count=2)
    assert shows(other.get("/explore").text, post.id, liked=True, count=2)
    assert shows(third.get("/explore").text, post.id, liked=False, count=2)
    assert likes.state(cy, post.id) == likes.LikeState(post.id, 2, False)


def test_unknown_post_is_404(client, hx, alice):
    for action in ("like", "unlike"):
        response = client.post(f"/post/999/{action}")
        assert response.status_code == 404 and "<html" in response.text
        response = hx("POST", f"/post/999/{action}")
        assert response.status_code == 404 and "<html" not in response.text
        assert response.headers["HX-Retarget"] == "#flashes"
        assert client.post(f"/post/{2**40}/{action}").status_code == 404
        assert client.post(f"/post/-1/{action}").status_code == 404
        assert client.post(f"/post/abc/{action}").status_code == 404


def test_get_is_not_allowed(client, alice, post):
    assert client.get(f"/post/{post.id}/like").status_code == 405
    assert client.get(f"/post/{post.id}/unlike").status_code == 405


def test_login_required(client, hx, post):
    response = client.post(f"/post/{post.id}/like")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = hx("POST", f"/post/{post.id}/like")
    assert response.status_code == 204 and "/auth/login" in response.headers["HX-Redirect"]
    assert stored(post) == (0, 0)


def test_a_post_deleted_meanwhile(app, alice, post):
    """Loaded, then deleted by its author before the like is stored: PostGone (a 404)."""
    db.session.execute(delete(Post).where(Post.id == post.id))
    db.session.commit()
    with pytest.raises(likes.PostGone):
        likes.like(alice, post)
    with pytest.raises(likes.PostGone):
        likes.unlike(alice, post)
    assert db.session.scalar(select(func.count()).select_from(PostLike)) == 0


class TestWithCsrf:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def token(self, client, alice) -> str:
        return CSRF_HEADER.search(client.get("/explore").text).group(1)

    def test_the_rows_carry_the_token(self, client, alice, post, token):
        form = like_form(client.get("/explore").text, post.id)
        assert f'<input type="hidden" name="csrf_token" value="{token}">' in form

    def test_without_token_is_400(self, client, hx, alice, post, token):
        assert client.post(f"/post/{post.id}/like").status_code == 400
        assert client.post(f"/post/{post.id}/like", data={"csrf_token": "x"}).status_code == 400
        response = hx("POST", f"/post/{post.id}/like")
        assert response.status_code == 400 and response.headers["HX-Retarget"] == "#flashes"
        assert stored(post) == (0, 0)

    def test_with_field_or_header(self, client, hx, alice, post, token):
        response = client.post(f"/post/{post.id}/like", data={"csrf_token": token})
        assert response.status_code == 303
        response = hx("POST", f"/post/{post.id}/unlike", headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert shows(response.text, post.id, liked=False, count=0)
        response = hx("POST", f"/post/{post.id}/like", data={"csrf_token": token})
        assert shows(response.text, post.id, liked=True, count=1)
        assert stored(post) == (1, 1)
