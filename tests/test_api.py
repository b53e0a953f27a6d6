"""The REST API as a client sees it: tokens, users, collections, validation and JSON errors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow
from microblog.services import follows
from tests.conftest import PASSWORD

GOOD_PASSWORD = "a long enough passphrase"


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[User], str]:
    def get(user: User, password: str = PASSWORD) -> str:
        response = client.post("/api/tokens", auth=(user.username, password))
        assert response.status_code == 200, response.text
        return response.json["token"]

    return get


@pytest.fixture
def api(client: FlaskClient, token_for: Callable) -> Callable:
    """`api(user, method, url, **kw)`: a request with `user`'s Bearer token."""

    def request(user: User | None, method: str, url: str, **kwargs: object):
        headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}
        return client.open(url, method=method, headers=headers, **kwargs)

    return request


def assert_error(response, status: int, reason: str) -> None:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    assert response.json["error"] == reason
    assert isinstance(response.json["message"], str) and response.json["message"]


# --- tokens ---------------------------------------------------------------------------------


def test_basic_auth_gives_a_token_stored_only_as_its_hash(client, make_user) -> None:
    susan = make_user("susan")
    response = client.post("/api/tokens", auth=("susan", PASSWORD))
    assert response.status_code == 200
    token = response.json["token"]
    assert len(token) >= 40
    db.session.expire_all()
    user = db.session.get(User, susan.id)
    assert user.token_hash == hashlib.sha256(token.encode()).hexdigest()
    lifetime = user.token_expiration - utcnow()
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)


def test_asking_again_before_expiry_returns_the_same_token(client, make_user, token_for) -> None:
    susan = make_user("susan")
    assert token_for(susan) == token_for(susan)
    other = make_user("other")
    assert token_for(other) != token_for(susan)


def test_a_token_about_to_expire_is_replaced(client, make_user, token_for) -> None:
    susan = make_user("susan")
    first = token_for(susan)
    susan.token_expiration = utcnow() + timedelta(seconds=30)
    db.session.commit()
    second = token_for(susan)
    assert second != first
    headers = {"Authorization": f"Bearer {second}"}
    assert client.get(f"/api/users/{susan.id}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "auth",
    [None, ("susan", "wrong"), ("nobody", PASSWORD), ("", ""), ("su\x00san", PASSWORD)],
)
def test_token_request_without_good_credentials_is_401(client, make_user, auth) -> None:
    make_user("susan")
    response = client.post("/api/tokens", auth=auth)
    assert_error(response, 401, "Unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_revoked_token_is_dead_at_once(client, make_user, token_for) -> None:
    susan = make_user("susan")
    token = token_for(susan)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.delete("/api/tokens", headers=headers)
    assert response.status_code == 204
    assert response.data == b""
    assert_error(client.get(f"/api/users/{susan.id}", headers=headers), 401, "Unauthorized")
    assert_error(client.delete("/api/tokens", headers=headers), 401, "Unauthorized")
    assert token_for(susan) != token


def test_expired_token_is_refused(client, make_user, token_for) -> None:
    susan = make_user("susan")
    headers = {"Authorization": f"Bearer {token_for(susan)}"}
    susan.token_expiration = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.get(f"/api/users/{susan.id}", headers=headers), 401, "Unauthorized")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic c3VzYW46eA==", "Token abc", "Bearer \x00"],
)
def test_calls_without_a_valid_bearer_token_are_401(client, make_user, authorization) -> None:
    susan = make_user("susan")
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"/api/users/{susan.id}", headers=headers)
    assert_error(response, 401, "Unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_cookie_does_not_authenticate_the_api(client, alice) -> None:
    assert client.get("/explore").status_code == 200  # the cookie session works for pages
    for method, url in [
        ("GET", "/api/users"),
        ("GET", f"/api/users/{alice.id}"),
        ("PUT", f"/api/users/{alice.id}"),
        ("DELETE", "/api/tokens"),
    ]:
        response = client.open(url, method=method, json={"about_me": "cookie"})
        assert_error(response, 401, "Unauthorized")
    assert db.session.get(User, alice.id).about_me is None


def test_token_calls_record_last_seen(client, make_user, api) -> None:
    susan = make_user("susan", last_seen=datetime(2020, 1, 1))
    assert api(susan, "GET", "/api/users").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, susan.id).last_seen > utcnow() - timedelta(minutes=1)


# --- one user -------------------------------------------------------------------------------


def test_get_user_shows_counts_links_and_own_email_only(client, make_user, make_post, api) -> None:
    susan = make_user("susan", about_me="hello there")
    bob = make_user("bob")
    for body in ("one", "two"):
        make_post(susan, body)
    follows.follow(bob, susan)

    own = api(susan, "GET", f"/api/users/{susan.id}")
    assert own.status_code == 200
    data = own.json
    assert data["id"] == susan.id
    assert data["username"] == "susan"
    assert data["about_me"] == "hello there"
    assert data["email"] == "susan@example.com"
    assert (data["post_count"], data["follower_count"], data["following_count"]) == (2, 1, 0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", data["last_seen"])
    assert data["_links"] == {
        "self": f"/api/users/{susan.id}",
        "followers": f"/api/users/{susan.id}/followers",
        "following": f"/api/users/{susan.id}/following",
        "avatar": f"http://localhost/avatar/{susan.id}/128?v=id1",
    }

    seen_by_bob = api(bob, "GET", f"/api/users/{susan.id}").json
    assert "email" not in seen_by_bob
    assert seen_by_bob["follower_count"] == 1


@pytest.mark.parametrize("user_id", ["999", str(2**31), str(10**30)])
def test_unknown_user_is_a_json_404(client, make_user, api, user_id) -> None:
    susan = make_user("susan")
    for suffix in ("", "/followers", "/following"):
        assert_error(api(susan, "GET", f"/api/users/{user_id}{suffix}"), 404, "Not Found")


def test_unknown_api_url_and_wrong_method_are_json(client, make_user, api) -> None:
    susan = make_user("susan")
    assert_error(api(susan, "GET", "/api/nothing-here"), 404, "Not Found")
    assert_error(client.get("/api/users/-1"), 404, "Not Found")
    response = client.patch("/api/users")
    assert_error(response, 405, "Method Not Allowed")
    assert "GET" in response.headers["Allow"]
    assert_error(client.get("/api/tokens"), 405, "Method Not Allowed")


# --- collections ----------------------------------------------------------------------------


def test_users_collection_pages_with_meta_and_links(client, make_user, api) -> None:
    users = [make_user(f"user{n:02d}") for n in range(12)]
    me = users[0]
    first = api(me, "GET", "/api/users?per_page=5").json
    assert [item["username"] for item in first["items"]] == [f"user{n:02d}" for n in range(5)]
    assert first["_meta"] == {"page": 1, "per_page": 5, "total_pages": 3, "total_items": 12}
    assert first["_links"] == {
        "self": "/api/users?page=1&per_page=5",
        "next": "/api/users?page=2&per_page=5",
        "prev": None,
        "next_cursor": None,  # users are listed by number only
    }
    assert first["items"][0]["email"] == me.email  # your own user, even in a list
    assert all("email" not in item for item in first["items"][1:])

    last = api(me, "GET", first["_links"]["next"].replace("page=2", "page=3")).json
    assert [item["username"] for item in last["items"]] == ["user10", "user11"]
    assert last["_links"]["next"] is None
    assert last["_links"]["prev"] == "/api/users?page=2&per_page=5"


@pytest.mark.parametrize(
    ("query", "page", "per_page"),
    [
        ("", 1, 10),
        ("?per_page=1000", 1, 100),
        ("?per_page=0", 1, 1),
        ("?per_page=-4", 1, 1),
        ("?per_page=abc&page=xyz", 1, 10),
        ("?page=-3", 1, 10),
        ("?page=99", 99, 10),
    ],
)
def test_paging_parameters_are_clamped(client, make_user, api, query, page, per_page) -> None:
    susan = make_user("susan")
    response = api(susan, "GET", f"/api/users{query}")
    assert response.status_code == 200
    assert response.json["_meta"]["page"] == page
    assert response.json["_meta"]["per_page"] == per_page


def test_followers_and_following_collections(client, make_user, api) -> None:
    susan, bob, carol, dave = (make_user(name) for name in ("susan", "bob", "carol", "dave"))
    follows.follow(bob, susan)
    follows.follow(carol, susan)
    follows.follow(susan, dave)

    followers = api(dave, "GET", f"/api/users/{susan.id}/followers?per_page=1").json
    assert [item["username"] for item in followers["items"]] == ["bob"]
    assert followers["_meta"]["total_items"] == 2
    assert followers["_links"]["next"] == f"/api/users/{susan.id}/followers?page=2&per_page=1"

    following = api(dave, "GET", f"/api/users/{susan.id}/following").json
    assert [item["username"] for item in following["items"]] == ["dave"]
    assert following["items"][0]["email"] == dave.email
    assert following["items"][0]["follower_count"] == 1

    empty = api(dave, "GET", f"/api/users/{dave.id}/following").json
    assert empty["items"] == []
    assert empty["_meta"] == {"page": 1, "per_page": 10, "total_pages": 1, "total_items": 0}


def test_a_page_of_users_costs_the_same_queries_for_3_or_40_users(
    app: Flask, client, make_user, make_post, token_for
) -> None:
    me = make_user("me")
    headers = {"Authorization": f"Bearer {token_for(me)}"}
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    def queries_for_a_page() -> int:
        statements.clear()
        response = client.get("/api/users?per_page=100", headers=headers)
        assert response.status_code == 200
        return len(statements)

    for n in range(2):
        make_post(make_user(f"few{n}"))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        few = queries_for_a_page()
        for n in range(37):
            make_post(make_user(f"many{n}"))
        many = queries_for_a_page()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert many == few
    assert few <= 8


# --- creating and editing users -------------------------------------------------------------


def test_register_a_user(client) -> None:
    body = {"username": "susan", "email": "susan@example.com", "password": GOOD_PASSWORD}
    response = client.post("/api/users", json=body)
    assert response.status_code == 201
    user = db.session.scalar(select(User).where(User.username == "susan"))
    assert response.headers["Location"].endswith(f"/api/users/{user.id}")
    assert response.json["email"] == "susan@example.com"
    assert response.json["post_count"] == 0
    assert user.check_password(GOOD_PASSWORD)
    assert client.post("/api/tokens", auth=("susan", GOOD_PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("password", "reason"),
    [("dog", "needs at least 8 characters"), ("password123", "too common")],
)
def test_register_refuses_weak_passwords(client, password, reason) -> None:
    body = {"username": "susan", "email": "susan@example.com", "password": password}
    response = client.post("/api/users", json=body)
    assert_error(response, 400, "Bad Request")
    assert reason in response.json["message"]
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"username": "susan", "email": "susan@example.com"}, None),  # missing password
        ({"email": "s@example.com", "password": "x"}, None),  # missing username
        ({"username": 42, "email": "susan@example.com", "password": "x"}, None),
        ({"username": "susan", "email": ["a"], "password": "x"}, None),
        ({"username": "susan", "email": "susan@example.com", "password": None}, None),
        ({"username": "   ", "email": "susan@example.com", "password": "x"}, None),
        ({"username": "su san", "email": "susan@example.com", "password": "x"}, None),
        ({"username": "s" * 65, "email": "susan@example.com", "password": "x"}, None),
        ({"username": "susan", "email": "not-an-email", "password": "x"}, None),
        ({"username": "susan", "email": "s" * 110 + "@example.com", "password": "x"}, None),
        ({"username": "susan", "email": "susan@example.com", "password": ""}, None),
        (
            {
                "username": "susan",
                "email": "susan@example.com",
                "password": "x",
                "about_me": "a" * 141,
            },
            None,
        ),
        ({"username": "sus\x00an", "email": "susan@example.com", "password": "x"}, None),
        (
            '{"username": "\\ud800", "email": "susan@example.com", "password": "x"}',
            "application/json",
        ),
        ('["susan", "susan@example.com", "x"]', "application/json"),
        ("null", "application/json"),
        ("42", "application/json"),
        ('{"username": "susan",', "application/json"),
        (
            "username=susan&email=susan%40example.com&password=x",
            "application/x-www-form-urlencoded",
        ),
        ("", None),
    ],
)
def test_register_refuses_bad_bodies_with_400(client, body, content_type) -> None:
    if isinstance(body, dict):
        response = client.post("/api/users", json=body)
    else:
        response = client.post("/api/users", data=body, content_type=content_type)
    assert_error(response, 400, "Bad Request")
    assert db.session.scalar(select(User)) is None


def test_register_refuses_taken_username_and_email(client, make_user) -> None:
    make_user("susan", email="susan@example.com")
    taken_name = {"username": "susan", "email": "new@example.com", "password": GOOD_PASSWORD}
    response = client.post("/api/users", json=taken_name)
    assert_error(response, 400, "Bad Request")
    assert "username" in response.json["message"]
    taken_email = {"username": "new", "email": "SUSAN@example.com", "password": GOOD_PASSWORD}
    response = client.post("/api/users", json=taken_email)
    assert_error(response, 400, "Bad Request")
    assert "email" in response.json["message"]
    assert len(db.session.scalars(select(User)).all()) == 1


def test_register_keeps_about_me(client) -> None:
    body = {"username": "susan", "email": "s@example.com", "password": GOOD_PASSWORD}
    body["about_me"] = "Hi!"
    response = client.post("/api/users", json=body)
    assert response.status_code == 201
    assert response.json["about_me"] == "Hi!"


def test_update_own_account(client, make_user, api) -> None:
    susan = make_user("susan")
    body = {"username": "susan2", "email": "Susan@Example.com", "about_me": "new me"}
    response = api(susan, "PUT", f"/api/users/{susan.id}", json=body)
    assert response.status_code == 200, response.text
    assert response.json["username"] == "susan2"
    assert response.json["email"] == "Susan@Example.com"
    assert response.json["about_me"] == "new me"
    db.session.expire_all()
    stored = db.session.get(User, susan.id)
    assert (stored.username, stored.about_me) == ("susan2", "new me")

    cleared = api(stored, "PUT", f"/api/users/{susan.id}", json={"about_me": None})
    assert cleared.status_code == 200
    assert cleared.json["about_me"] is None
    assert cleared.json["username"] == "susan2"


def test_update_someone_else_is_403(client, make_user, api) -> None:
    susan, bob = make_user("susan"), make_user("bob")
    response = api(susan, "PUT", f"/api/users/{bob.id}", json={"about_me": "hacked"})
    assert_error(response, 403, "Forbidden")
    assert_error(api(susan, "PUT", "/api/users/999", json={}), 403, "Forbidden")
    db.session.expire_all()
    assert db.session.get(User, bob.id).about_me is None


@pytest.mark.parametrize(
    "body",
    [
        {"username": "bob"},
        {"email": "BOB@example.com"},
        {"about_me": "x" * 141},
        {"username": ""},
        {"username": "a/b"},
        {"about_me": 3},
        {"email": None},
        {"about_me": "nul \x00 byte"},
        {"about_me": ["a list"]},
        {"about_me": "lone surrogate \ud800"},
    ],
)
def test_update_refuses_bad_or_taken_values(client, make_user, api, body) -> None:
    susan = make_user("susan", about_me="before")
    make_user("bob")
    response = api(susan, "PUT", f"/api/users/{susan.id}", json=body)
    assert_error(response, 400, "Bad Request")
    db.session.expire_all()
    stored = db.session.get(User, susan.id)
    assert (stored.username, stored.email, stored.about_me) == (
        "susan",
        "susan@example.com",
        "before",
    )


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"a string"'])
def test_update_refuses_non_object_bodies(client, make_user, api, body) -> None:
    susan = make_user("susan")
    response = api(
        susan, "PUT", f"/api/users/{susan.id}", data=body, content_type="application/json"
    )
    assert_error(response, 400, "Bad Request")


# --- CSRF: forms need it, the API does not ------------------------------------------------


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_api_works_without_csrf_while_forms_still_need_it(client, make_user) -> None:
    response = client.post(
        "/auth/register",
        data={
            "username": "webby",
            "email": "webby@example.com",
            "password": "x",
            "password2": "x",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "webby")) is None

    body = {"username": "susan", "email": "susan@example.com", "password": GOOD_PASSWORD}
    assert client.post("/api/users", json=body).status_code == 201
    token = client.post("/api/tokens", auth=("susan", GOOD_PASSWORD)).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    user_id = db.session.scalar(select(User.id).where(User.username == "susan"))
    response = client.put(f"/api/users/{user_id}", json={"about_me": "csrf-free"}, headers=headers)
    assert response.status_code == 200
    assert client.delete("/api/tokens", headers=headers).status_code == 204


# --- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document_lists_exactly_the_api_routes(app: Flask, client) -> None:
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    spec = document.json
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert {"200", "201", "204"} & set(operation["responses"]), (path, method)
            if operation.get("security"):
                assert "401" in operation["responses"], (path, method)


def test_an_oversized_body_is_a_json_413(client) -> None:
    response = client.post(
        "/api/users", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert_error(response, 413, "Request Entity Too Large")
    assert db.session.scalar(select(User)) is None
