"""The posts API as a client sees it: one post, a user's posts, the timeline, writing,
editing, deleting and liking; errors, paging, rate limits, and agreement with the web."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Post, PostLike, User
from microblog.services import follows, likes
from tests.conftest import PASSWORD
from tests.test_api import assert_error

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
START = datetime(2024, 1, 1, 12, 0)


@pytest.fixture
def api(client: FlaskClient) -> Callable:
    """`api(user, method, url, **kw)`: a request with `user`'s Bearer token (None: none)."""
    tokens: dict[int, str] = {}

    def request(user: User | None, method: str, url: str, **kwargs: object):
        headers = {}
        if user is not None:
            if user.id not in tokens:
                response = client.post("/api/tokens", auth=(user.username, PASSWORD))
                tokens[user.id] = response.json["token"]
            headers["Authorization"] = f"Bearer {tokens[user.id]}"
        return client.open(url, method=method, headers=headers, **kwargs)

    return request


@pytest.fixture
def susan(make_user: Callable[..., User]) -> User:
    return make_user("susan")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


def _stored(post_id: int) -> Post | None:
    db.session.expire_all()
    return db.session.get(Post, post_id)


def _post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


# --- one post -------------------------------------------------------------------------------


def test_get_a_post_as_its_reader_sees_it(api, susan, bob, make_post) -> None:
    post = make_post(susan, "hello @bob", timestamp=START)
    likes.like(bob, post)
    response = api(bob, "GET", f"/api/posts/{post.id}")
    assert response.status_code == 200, response.text
    data = response.json
    assert re.fullmatch(ISO, data.pop("timestamp"))
    assert data == {
        "id": post.id,
        "body": "hello @bob",
        "language": "en",
        "edited": None,
        "author": {
            "id": susan.id,
            "username": "susan",
            "_links": {
                "self": f"/api/users/{susan.id}",
                "avatar": f"http://localhost/avatar/{susan.id}/128?v=id1",
            },
        },
        "is_reply": False,
        "reply_to": None,
        "reply_to_username": None,
        "like_count": 1,
        "reply_count": 0,
        "liked": True,
        "_links": {
            "self": f"/api/posts/{post.id}",
            "author": f"/api/users/{susan.id}",
            "like": f"/api/posts/{post.id}/like",
            "reply_to": None,
        },
    }
    assert api(susan, "GET", f"/api/posts/{post.id}").json["liked"] is False  # bob's like


@pytest.mark.parametrize("post_id", ["999", str(2**31), str(10**30)])
def test_an_unknown_post_is_a_json_404(api, susan, post_id) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = api(susan, method, f"/api/posts/{post_id}", json={"body": "x"})
        assert_error(response, 404, "Not Found")
    for method in ("POST", "DELETE"):
        assert_error(api(susan, method, f"/api/posts/{post_id}/like"), 404, "Not Found")


def test_posts_of_an_unknown_user_are_a_json_404(api, susan) -> None:
    assert_error(api(susan, "GET", "/api/users/999/posts"), 404, "Not Found")
    assert_error(api(susan, "GET", f"/api/users/{2**31}/posts"), 404, "Not Found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/posts/{id}"),
        ("GET", "/api/users/{author}/posts"),
        ("GET", "/api/timeline"),
        ("POST", "/api/posts"),
        ("PUT", "/api/posts/{id}"),
        ("DELETE", "/api/posts/{id}"),
        ("POST", "/api/posts/{id}/like"),
        ("DELETE", "/api/posts/{id}/like"),
    ],
)
def test_every_posts_call_needs_a_token(client, alice, make_post, method, url) -> None:
    """Signed in on the web (a session cookie) is not enough: 401, and nothing changes."""
    post = make_post(alice, "before")
    url = url.format(id=post.id, author=alice.id)
    response = client.open(url, method=method, json={"body": "cookie"})
    assert_error(response, 401, "Unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    stored = _stored(post.id)
    assert (stored.body, stored.like_count, _post_count()) == ("before", 0, 1)


# --- collections ----------------------------------------------------------------------------


def test_a_users_posts_newest_first_with_paging_links(api, susan, bob, make_post) -> None:
    for n in range(5):
        make_post(susan, f"susan {n}", timestamp=START + timedelta(minutes=n))
    make_post(bob, "not susan's", timestamp=START + timedelta(hours=1))
    url = f"/api/users/{susan.id}/posts"

    first = api(bob, "GET", f"{url}?per_page=2").json
    assert [item["body"] for item in first["items"]] == ["susan 4", "susan 3"]
    assert first["_meta"] == {"page": 1, "per_page": 2, "total_pages": 3, "total_items": 5}
    cursor = first["_links"].pop("next_cursor")
    assert first["_links"] == {
        "self": f"{url}?page=1&per_page=2",
        "next": f"{url}?page=2&per_page=2",
        "prev": None,
    }
    # The cursor link goes on after "susan 3", whatever susan posts meanwhile.
    make_post(susan, "susan 5", timestamp=START + timedelta(minutes=30))
    after = api(bob, "GET", cursor).json
    assert [item["body"] for item in after["items"]] == ["susan 2", "susan 1"]
    assert after["_meta"]["page"] == 2 and after["_links"]["prev"] == f"{url}?page=1&per_page=2"
    end = api(bob, "GET", after["_links"]["next_cursor"]).json
    assert [item["body"] for item in end["items"]] == ["susan 0"]
    assert end["_links"]["next_cursor"] is None
    last = api(bob, "GET", f"{url}?page=3&per_page=2").json
    assert [item["body"] for item in last["items"]] == ["susan 1", "susan 0"]
    assert last["_links"]["next"] is None
    assert last["_links"]["prev"] == f"{url}?page=2&per_page=2"

    everything = api(bob, "GET", url).json
    assert len(everything["items"]) == 6
    assert everything["_meta"] == {"page": 1, "per_page": 10, "total_pages": 1, "total_items": 6}


@pytest.mark.parametrize(
    ("query", "page", "per_page"),
    [
        ("", 1, 10),
        ("?per_page=1000", 1, 100),
        ("?per_page=0", 1, 1),
        ("?per_page=abc&page=xyz", 1, 10),
        ("?page=-3", 1, 10),
        ("?page=99", 99, 10),
    ],
)
def test_paging_parameters_are_clamped(api, susan, make_post, query, page, per_page) -> None:
    make_post(susan)
    for url in ("/api/timeline", f"/api/users/{susan.id}/posts"):
        response = api(susan, "GET", url + query)
        assert response.status_code == 200
        assert (response.json["_meta"]["page"], response.json["_meta"]["per_page"]) == (
            page,
            per_page,
        )


def test_the_timeline_is_own_and_followed_posts(api, make_user, susan, bob, make_post) -> None:
    carol = make_user("carol")
    follows.follow(susan, bob)
    make_post(susan, "mine", timestamp=START)
    make_post(bob, "followed", timestamp=START + timedelta(minutes=1))
    make_post(carol, "stranger", timestamp=START + timedelta(minutes=2))
    make_post(bob, "followed again", timestamp=START + timedelta(minutes=3))

    data = api(susan, "GET", "/api/timeline?per_page=2").json
    assert [item["body"] for item in data["items"]] == ["followed again", "followed"]
    assert data["_meta"] == {"page": 1, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert data["_links"]["next"] == "/api/timeline?page=2&per_page=2"
    second = api(susan, "GET", data["_links"]["next"]).json
    assert [item["body"] for item in second["items"]] == ["mine"]
    assert second["_links"]["prev"] == "/api/timeline?page=1&per_page=2"

    # Each reader their own home: carol follows nobody.
    carols = api(carol, "GET", "/api/timeline").json
    assert [item["body"] for item in carols["items"]] == ["stranger"]
    empty = api(make_user("dave"), "GET", "/api/timeline").json
    assert empty["items"] == []
    assert empty["_meta"] == {"page": 1, "per_page": 10, "total_pages": 1, "total_items": 0}


def test_collections_say_which_posts_the_reader_likes(api, susan, bob, make_post) -> None:
    liked, other = make_post(susan, "liked"), make_post(susan, "not liked")
    likes.like(bob, liked)
    items = api(bob, "GET", f"/api/users/{susan.id}/posts").json["items"]
    assert {item["id"]: (item["liked"], item["like_count"]) for item in items} == {
        liked.id: (True, 1),
        other.id: (False, 0),
    }
    items = api(susan, "GET", "/api/timeline").json["items"]
    assert [item["liked"] for item in items] == [False, False]


@pytest.mark.parametrize("url", ["/api/timeline", "/api/users/{me}/posts"])
def test_a_page_of_posts_costs_the_same_queries_for_3_or_40_posts(
    app: Flask, client, make_user, make_post, api, url
) -> None:
    me = make_user("me")
    url = url.format(me=me.id)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    def queries_for_a_page() -> int:
        statements.clear()
        response = api(me, "GET", f"{url}?per_page=100")
        assert response.status_code == 200
        return len(statements)

    api(me, "GET", url)  # the token, fetched before counting
    authors = [make_user(f"author{n}") for n in range(4)]
    for author in authors:
        follows.follow(me, author)
    for n in range(3):
        make_post(me if n % 2 else authors[n], f"few {n}")
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        few = queries_for_a_page()
        for n in range(37):
            make_post(me if n % 2 else authors[n % 4], f"many {n}")
        many = queries_for_a_page()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert many == few
    assert few <= 6


# --- writing --------------------------------------------------------------------------------


def test_write_a_post(api, susan) -> None:
    text = "This is my first post, written from a script"
    response = api(susan, "POST", "/api/posts", json={"body": f"  {text}  "})
    assert response.status_code == 201, response.text
    post = db.session.scalar(select(Post))
    assert response.headers["Location"].endswith(f"/api/posts/{post.id}")
    assert (post.body, post.user_id, post.language) == (text, susan.id, "en")  # detected
    data = response.json
    assert (data["id"], data["body"], data["language"]) == (post.id, text, "en")
    assert data["author"]["username"] == "susan"
    assert (data["like_count"], data["reply_count"], data["liked"]) == (0, 0, False)
    assert api(susan, "GET", response.headers["Location"]).json == data


@pytest.mark.parametrize(
    ("language", "stored"),
    [("es", "es"), ("PT", "pt"), (None, None), ("GL", "gl")],
)
def test_the_author_may_set_the_language(api, susan, language, stored) -> None:
    response = api(susan, "POST", "/api/posts", json={"body": "Hello there", "language": language})
    assert response.status_code == 201, response.text
    assert response.json["language"] == stored
    assert db.session.scalar(select(Post.language)) == stored


def test_a_reply_counts_on_the_post_it_answers(api, susan, bob, make_post) -> None:
    parent = make_post(bob, "a question?")
    response = api(susan, "POST", "/api/posts", json={"body": "an answer", "reply_to": parent.id})
    assert response.status_code == 201, response.text
    data = response.json
    assert (data["is_reply"], data["reply_to"], data["reply_to_username"]) == (
        True,
        parent.id,
        "bob",
    )
    assert data["_links"]["reply_to"] == f"/api/posts/{parent.id}"
    assert api(susan, "GET", f"/api/posts/{parent.id}").json["reply_count"] == 1
    reply = _stored(data["id"])
    assert (reply.reply_to_id, reply.reply_to_user_id) == (parent.id, bob.id)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "Missing fields: body"),
        ({"body": ""}, "body cannot be empty"),
        ({"body": "   \n "}, "body cannot be empty"),
        ({"body": "x" * 141}, "body is longer than 140 characters"),
        ({"body": 42}, "body must be a string"),
        ({"body": None}, "body must be a string"),
        ({"body": ["a"]}, "body must be a string"),
        ({"body": "nul \x00 byte"}, "body cannot contain NUL characters"),
        ({"body": "hi", "language": "klingon"}, "language must be a language code"),
        ({"body": "hi", "language": "zz"}, "language must be a language code"),
        ({"body": "hi", "language": 3}, "language must be a language code"),
        ({"body": "hi", "reply_to": "1"}, "reply_to must be the id of a post"),
        ({"body": "hi", "reply_to": True}, "reply_to must be the id of a post"),
        ({"body": "hi", "reply_to": 1.5}, "reply_to must be the id of a post"),
        ({"body": "hi", "reply_to": 0}, "reply_to must be the id of a post"),
        ({"body": "hi", "reply_to": 2**31}, "reply_to must be the id of a post"),
        ({"body": "hi", "reply_to": 999}, "No post with id 999 to reply to"),
    ],
)
def test_write_refuses_bad_bodies_with_400(api, susan, body, reason) -> None:
    response = api(susan, "POST", "/api/posts", json=body)
    assert_error(response, 400, "Bad Request")
    assert reason in response.json["message"]
    assert _post_count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('["hello"]', "application/json"),
        ("null", "application/json"),
        ('{"body": "hello",', "application/json"),
        ('{"body": "\\ud800"}', "application/json"),
        ("body=hello", "application/x-www-form-urlencoded"),
        ("", None),
    ],
)
def test_write_refuses_malformed_json_with_400(api, susan, data, content_type) -> None:
    response = api(susan, "POST", "/api/posts", data=data, content_type=content_type)
    assert_error(response, 400, "Bad Request")
    assert _post_count() == 0


def test_a_post_written_through_the_api_shows_on_the_web(
    client, api, bob, make_user, login
) -> None:
    reader = make_user("reader")
    follows.follow(reader, bob)
    response = api(bob, "POST", "/api/posts", json={"body": "Straight from my script"})
    assert response.status_code == 201
    login(reader)
    home = client.get("/index")
    assert home.status_code == 200
    assert "Straight from my script" in home.text
    assert f'id="post-{response.json["id"]}"' in home.text
    assert "Straight from my script" in client.get("/user/bob").text

    assert api(bob, "DELETE", f"/api/posts/{response.json['id']}").status_code == 204
    assert "Straight from my script" not in client.get("/index").text


# --- editing and deleting -------------------------------------------------------------------


def test_the_author_edits_a_post(api, susan, make_post) -> None:
    post = make_post(susan, "first words")
    response = api(susan, "PUT", f"/api/posts/{post.id}", json={"body": " better words "})
    assert response.status_code == 200, response.text
    data = response.json
    assert data["body"] == "better words"
    assert re.fullmatch(ISO, data["edited"])
    stored = _stored(post.id)
    assert (stored.body, stored.edited_at is not None) == ("better words", True)

    spanish = api(susan, "PUT", f"/api/posts/{post.id}", json={"body": "hola", "language": "es"})
    assert spanish.json["language"] == "es"
    assert _stored(post.id).language == "es"


@pytest.mark.parametrize(
    "body", [{}, {"body": ""}, {"body": "y" * 141}, {"body": "ok", "language": "xx-yy"}]
)
def test_an_edit_refuses_bad_bodies_with_400(api, susan, make_post, body) -> None:
    post = make_post(susan, "unchanged")
    response = api(susan, "PUT", f"/api/posts/{post.id}", json=body)
    assert_error(response, 400, "Bad Request")
    stored = _stored(post.id)
    assert (stored.body, stored.edited_at) == ("unchanged", None)


def test_only_the_author_edits_or_deletes(api, susan, bob, make_post) -> None:
    post = make_post(susan, "susan's words")
    response = api(bob, "PUT", f"/api/posts/{post.id}", json={"body": "bob's words"})
    assert_error(response, 403, "Forbidden")
    assert "your own posts" in response.json["message"]
    assert_error(api(bob, "DELETE", f"/api/posts/{post.id}"), 403, "Forbidden")
    stored = _stored(post.id)
    assert (stored.body, stored.edited_at) == ("susan's words", None)


def test_the_author_deletes_a_post_and_its_replies_stay(api, susan, bob, make_post) -> None:
    post = make_post(susan, "going away")
    post_id = post.id
    reply = api(bob, "POST", "/api/posts", json={"body": "a reply", "reply_to": post_id}).json
    likes.like(bob, post)

    response = api(susan, "DELETE", f"/api/posts/{post_id}")
    assert response.status_code == 204
    assert response.data == b""
    assert _stored(post_id) is None
    assert db.session.scalar(select(func.count()).select_from(PostLike)) == 0
    assert_error(api(susan, "GET", f"/api/posts/{post_id}"), 404, "Not Found")
    assert_error(api(susan, "DELETE", f"/api/posts/{post_id}"), 404, "Not Found")

    orphan = api(bob, "GET", f"/api/posts/{reply['id']}").json
    assert (orphan["is_reply"], orphan["reply_to"], orphan["reply_to_username"]) == (
        True,
        None,
        "susan",
    )
    assert orphan["_links"]["reply_to"] is None


# --- likes ----------------------------------------------------------------------------------


def test_like_and_unlike_are_idempotent(api, susan, bob, make_post) -> None:
    post = make_post(susan)
    url = f"/api/posts/{post.id}/like"
    expected = {
        "post_id": post.id,
        "like_count": 1,
        "liked": True,
        "_links": {"post": f"/api/posts/{post.id}"},
    }
    for _ in range(2):
        response = api(bob, "POST", url)
        assert response.status_code == 200, response.text
        assert response.json == expected
    assert api(bob, "GET", f"/api/posts/{post.id}").json["liked"] is True

    also = api(susan, "POST", url).json  # the author may like their own post
    assert (also["like_count"], also["liked"]) == (2, True)

    for _ in range(2):
        response = api(bob, "DELETE", url)
        assert response.status_code == 200
        assert (response.json["like_count"], response.json["liked"]) == (1, False)
    assert _stored(post.id).like_count == 1
    assert api(bob, "GET", f"/api/posts/{post.id}").json["liked"] is False


# --- rate limit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_POST": "2 per minute"}]
)
def test_writing_is_rate_limited_per_account(api, susan, bob) -> None:
    for n in range(2):
        response = api(susan, "POST", "/api/posts", json={"body": f"post {n}"})
        assert response.status_code == 201
    response = api(susan, "POST", "/api/posts", json={"body": "one too many"})
    assert_error(response, 429, "Too Many Requests")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Try again in" in response.json["message"]
    assert _post_count() == 2
    # Same address, another account: its own count.
    assert api(bob, "POST", "/api/posts", json={"body": "bob's turn"}).status_code == 201
    # Reading is not limited; without a token there is no account to count: a 401.
    for _ in range(3):
        assert api(susan, "GET", "/api/timeline").status_code == 200
    assert_error(api(None, "POST", "/api/posts", json={"body": "x"}), 401, "Unauthorized")


# --- the OpenAPI document -------------------------------------------------------------------


def test_the_document_describes_every_field_of_a_post(client, api, susan, make_post) -> None:
    """Every field answered is documented and required, so a client can rely on each."""
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    post = api(susan, "GET", f"/api/posts/{make_post(susan).id}").json
    for name, value in [
        ("Post", post),
        ("LikeState", api(susan, "POST", post["_links"]["like"]).json),
    ]:
        schema = schemas[name]
        assert set(value) == set(schema["properties"]) == set(schema["required"]), name
    assert set(post["author"]) == set(schemas["Post"]["properties"]["author"]["required"])
    assert set(post["_links"]) == set(schemas["Post"]["properties"]["_links"]["required"])
