"""No input of any kind (path, query, form, JSON, headers) is a 500, on SQLite or PostgreSQL.

Each case here was a 500 once, or is its close neighbour. Routes are read from the app's
own URL map, so a route added later is covered without touching this file. Cases with
many values loop inside one test: each test pays for a fresh database and a login.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from microblog import create_app
from microblog.extensions import db
from microblog.inputs import ID_MAX, MAX_JSON_DEPTH, nested_deeper_than
from microblog.models import User, UserSession
from microblog.session import local_path
from tests.conftest import PASSWORD

# The URL map only (no database): which routes take a text or a number in their path.
_MAP_APP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
_RULES = [rule for rule in _MAP_APP.url_map.iter_rules() if rule.arguments]
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _kinds(rule: Rule) -> dict[str, str]:
    """Each path argument of `rule`: "int" or "text" (any other converter)."""
    return {
        match["name"]: "int" if match["converter"] == "int" else "text"
        for match in _ARGUMENT.finditer(rule.rule)
    }


def _routes(kind: str) -> list:
    """A param (method, rule) for every route with a path argument of `kind` ("int", "text")."""
    return [
        pytest.param(method, rule, id=f"{method} {rule.rule}")
        for rule in _RULES
        if kind in _kinds(rule).values()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def _url(rule: Rule, text: str = "alice", number: int = 1) -> str:
    """`rule` with every `<int:..>` set to `number` and every other argument to `text`."""
    values = {name: number if kind == "int" else text for name, kind in _kinds(rule).items()}
    with _MAP_APP.test_request_context():
        return url_for(rule.endpoint, **values)


@pytest.fixture
def home(app: Flask) -> str:
    with app.test_request_context():
        return url_for("posts.index")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession))


def token(client: FlaskClient, username: str) -> dict[str, str]:
    """Headers with a Bearer token of `username`."""
    response = client.post("/api/tokens", auth=(username, PASSWORD))
    return {"Authorization": f"Bearer {response.json['token']}"}


# --- ?next= -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_page",
    ["/a\rb", "/a\nb", "/\r\nSet-Cookie: x=1", "/a\tb", "/\t/evil.example", "/a\x7f", "/\x01"],
)
def test_next_with_a_control_character_is_no_next(
    client: FlaskClient, make_user: Callable[..., User], home: str, next_page: str
) -> None:
    """After logging in (POST with the right password), and when already logged in: a CR
    or LF in the Location header was a 500."""
    make_user("alice")
    response = client.post(
        "/auth/login",
        query_string={"next": next_page},
        data={"username": "alice", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == home
    response = client.get("/auth/login", query_string={"next": next_page})
    assert response.status_code == 302
    assert response.headers["Location"] == home


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/explore?page=2", "/explore?page=2"),
        ("/user/ñandú", "/user/ñandú"),
        ("/a\tb", None),
        ("/a\r\nb", None),
        ("/a\x00b", None),
        ("/a\x1fb", None),
        ("/a\x7fb", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https://evil.example/", None),
    ],
)
def test_local_path(url: str, expected: str | None) -> None:
    assert local_path(url) == expected


# --- NUL bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "rule"), _routes("text"))
def test_nul_in_a_path_segment_is_404(
    client: FlaskClient, alice: User, method: str, rule: Rule
) -> None:
    """PostgreSQL refuses NUL in a text parameter: `/user/%00` and the like were 500s."""
    for segment in ("\x00", "a\x00b", "alice\x00"):
        assert client.open(_url(rule, text=segment), method=method).status_code == 404


def test_nul_in_a_raw_path_is_404(client: FlaskClient, alice: User) -> None:
    for url in [
        "/user/%00",
        "/user/%00/popup",
        "/send_message/%00",
        "/tasks/%00/progress",
        "/static/%00",
        "/no/such/%00/page",
    ]:
        assert client.get(url).status_code == 404, url
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 404 and "<html" not in response.text
    for url in ["/follow/%00", "/unfollow/%00", "/send_message/%00"]:
        assert client.post(url).status_code == 404, url


def test_nul_in_the_query_string_is_400(client: FlaskClient, alice: User) -> None:
    for url in [
        "/explore?page=%00",
        "/index?page=1%00",
        "/search?q=%00",
        "/search?q=a&%00=1",
        "/auth/login?next=/%00",
        "/notifications?since=%00",
        "/user/alice?page=%00",
        "/messages?page=%00",
    ]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL character" in response.text
    response = client.get("/notifications/badge?since=%00", headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#flashes"


def test_nul_in_an_api_query_string_is_a_json_400(client: FlaskClient) -> None:
    response = client.get("/api/users?page=%00")
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"


def test_nul_in_a_header_is_400_and_signs_nobody_in(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """The User-Agent goes into the session row: on PostgreSQL a NUL there was a 500."""
    make_user("alice")
    for header in ["User-Agent", "Accept-Language", "Referer", "X-Anything"]:
        response = client.post(
            "/auth/login",
            data={"username": "alice", "password": PASSWORD},
            headers={header: "Mozilla/5.0 \x00"},
        )
        assert response.status_code == 400, header
    assert session_count() == 0


def test_nul_in_a_form_field_is_refused_next_to_the_field(
    client: FlaskClient, alice: User, bob: User
) -> None:
    """Form fields are their form's: the error shows by the field (422), not a 400 page."""
    for url, data in [
        ("/index", {"post": "a\x00b"}),
        ("/send_message/bob", {"message": "\x00"}),
        ("/edit_profile", {"username": "al\x00ice", "about_me": "x"}),
        ("/edit_profile", {"username": "alice", "about_me": "\x00"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 422, data
        assert "This field cannot contain NUL characters." in response.text


def test_nul_in_an_anonymous_form_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("alice")
    for url, data in [
        ("/auth/login", {"username": "\x00", "password": "x"}),
        ("/auth/login", {"username": "alice", "password": "\x00"}),
        ("/auth/register", {"username": "a\x00", "email": "a@example.com", "password": "x"}),
        ("/auth/register", {"username": "ann", "email": "a\x00@example.com", "password": "x"}),
        ("/auth/reset_password_request", {"email": "\x00@example.com"}),
    ]:
        assert client.post(url, data=data).status_code == 422, data
    assert session_count() == 0


# --- numbers ------------------------------------------------------------------------------

TOO_BIG = [ID_MAX + 1, 2**63, 10**30]


@pytest.mark.parametrize(("method", "rule"), _routes("int"))
def test_an_id_out_of_range_in_the_path_is_404(
    client: FlaskClient, alice: User, method: str, rule: Rule
) -> None:
    """SQLite overflowed at 2**63, PostgreSQL's INTEGER at 2**31: both were 500s.

    (werkzeug may answer 405 where another method's rule has the same path.)"""
    for number in TOO_BIG:
        response = client.open(_url(rule, number=number), method=method)
        assert response.status_code in (404, 405), number


def test_an_id_out_of_range_in_the_query_is_404(client: FlaskClient, alice: User) -> None:
    client.application.config["MS_TRANSLATOR_KEY"] = "not used: the post is not found first"
    for number in [*TOO_BIG, -1]:
        for method in ("GET", "POST"):
            response = client.open(f"/translate?post_id={number}", method=method)
            assert response.status_code == 404, number


ODD_NUMBERS = ["%ff", "-1", "0", "1e400", "nan", str(2**63), str(-(2**63) - 1), "9" * 5000, ""]


@pytest.mark.parametrize("url", ["/index", "/explore", "/user/alice", "/messages", "/search?q=hi"])
def test_any_page_number_is_a_page(client: FlaskClient, alice: User, url: str) -> None:
    separator = "&" if "?" in url else "?"
    for page in ODD_NUMBERS:
        assert client.get(f"{url}{separator}page={page}").status_code == 200, page


def test_any_page_number_is_a_page_of_the_api(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("susan")
    headers = token(client, "susan")
    for number in ODD_NUMBERS:
        for query in (f"page={number}", f"per_page={number}"):
            assert client.get(f"/api/users?{query}", headers=headers).status_code == 200, query


def test_any_since_is_answered(client: FlaskClient, alice: User) -> None:
    for since in ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "%ff", "", "x", "9" * 5000]:
        response = client.get(f"/notifications?since={since}")
        assert response.status_code == 200 and isinstance(response.json, list), since
        headers = {"HX-Request": "true"}
        response = client.get(f"/notifications/badge?since={since}", headers=headers)
        assert response.status_code in (200, 204), since


# --- undecodable and odd text ----------------------------------------------------------------


def test_a_path_segment_that_is_not_utf8_or_too_long_is_404(
    client: FlaskClient, alice: User
) -> None:
    for segment in ["%ff", "%c3%28", "%ed%a0%80", "%e2%82", "x" * 5000]:
        for url in (f"/user/{segment}", f"/user/{segment}/popup", f"/send_message/{segment}"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/follow/{segment}").status_code == 404


def test_a_query_or_form_that_is_not_utf8_is_answered(
    client: FlaskClient, alice: User, bob: User
) -> None:
    assert client.get("/search?q=%ff%fe").status_code == 200
    assert client.get("/explore?%ff=%c3").status_code == 200
    for url, data in [
        ("/index", b"post=%ff%fe"),
        ("/send_message/bob", b"message=%ed%a0%80"),
        ("/edit_profile", b"username=%c3&about_me=%ff"),
    ]:
        response = client.post(url, data=data, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, url


# --- JSON -----------------------------------------------------------------------------------


def nested(depth: int, *, kind: str = "array") -> str:
    """A JSON document `depth` levels deep."""
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def user_body(depth: int) -> str:
    """A valid new user whose ignored `extra` field takes the document `depth` deep."""
    body = json.dumps({"username": "susan", "email": "susan@example.com", "password": PASSWORD})
    return body[:-1] + f', "extra": {nested(depth - 1)}' + "}"


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deep_json_is_a_400_on_create(client: FlaskClient, kind: str, depth: int) -> None:
    """5,000 levels made the parser raise RecursionError: a 500, without authentication."""
    response = client.post(
        "/api/users", data=nested(depth, kind=kind), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"


def test_json_up_to_the_depth_limit_is_read(client: FlaskClient) -> None:
    def create(depth: int) -> int:
        body = user_body(depth)
        return client.post("/api/users", data=body, content_type="application/json").status_code

    assert create(MAX_JSON_DEPTH + 1) == 400
    assert create(MAX_JSON_DEPTH) == 201


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000])
def test_deep_json_is_a_400_on_update_and_a_401_without_a_token(
    client: FlaskClient, make_user: Callable[..., User], depth: int
) -> None:
    susan = make_user("susan")
    url, body = f"/api/users/{susan.id}", nested(depth, kind="object")
    assert client.put(url, data=body, content_type="application/json").status_code == 401
    response = client.put(
        url, data=body, content_type="application/json", headers=token(client, "susan")
    )
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"


def test_deep_json_sent_for_a_token_is_ignored(client: FlaskClient) -> None:
    response = client.post("/api/tokens", data=nested(5_000), content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("data", "too_deep"),
    [
        (1, False),
        ("text", False),
        ([], False),
        ([[[]]], False),
        ({"a": [{"b": 1}]}, False),
        ([[[[]]]], True),
        ({"a": {"b": {"c": {}}}}, True),
        ([1, "x", None, [[["deep"]]]], True),
    ],
)
def test_nested_deeper_than(data: object, too_deep: bool) -> None:
    assert nested_deeper_than(data, 3) is too_deep


# --- headers, cookies, methods, long URLs -------------------------------------------------------


def test_any_accept_language_is_answered(client: FlaskClient, alice: User) -> None:
    for value in [
        "x" * 20_000,
        "zz;q=nan",
        "en;q=1e400",
        "*;q=abc, ,,;;",
        "es-\xff\xfe",
        "-;q=-1, es;q=",
        ",".join(f"l{i};q=0.{i % 10}" for i in range(2_000)),
    ]:
        for url in ("/index", "/explore"):
            assert client.get(url, headers={"Accept-Language": value}).status_code == 200


def test_a_host_that_does_not_parse_is_a_400(client: FlaskClient) -> None:
    """No URL can be built for it: the error page, which builds links, was a 500."""
    for host in ["a" * 300, "x" * 64 + ".example"]:
        for method, url in [("GET", "/"), ("GET", "/auth/login"), ("POST", "/auth/login")]:
            response = client.open(url, method=method, headers={"Host": host})
            assert response.status_code == 400, (host, url)
    for host in ["[::1", "a b", "localhost:99999999", "", "é" * 70]:
        assert client.get("/auth/login", headers={"Host": host}).status_code < 500, host


def test_a_bad_cookie_is_an_anonymous_visitor(client: FlaskClient) -> None:
    for cookie in [
        "session=garbage",
        "session=.eJw" + "A" * 100,
        "session=" + "x" * 4000,
        "remember_token=garbage",
        "remember_token=1|abc",
        "remember_token=" + "a" * 4000,
        "session=; remember_token=",
    ]:
        assert client.get("/auth/login", headers={"Cookie": cookie}).status_code == 200
        assert client.get("/index", headers={"Cookie": cookie}).status_code == 302
        headers = {"Cookie": cookie, "HX-Request": "true"}
        assert client.get("/notifications/badge", headers=headers).status_code == 200


def test_an_odd_current_url_or_referer_still_sends_to_login(client: FlaskClient) -> None:
    """`urlsplit` raises ValueError on `http://[::1`: the login redirect was a 500."""
    for url in ["http://[::1", "http://]/", "http://exa mple.com/\x01", "::::"]:
        headers = {"HX-Request": "true", "HX-Current-URL": url}
        response = client.get("/explore", headers=headers)
        assert response.status_code == 204, url
        assert response.headers["HX-Redirect"].startswith("/auth/login")
        response = client.post("/index", data={"post": "hi"}, headers={"Referer": url})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login")


def test_an_odd_method_is_refused(client: FlaskClient, alice: User) -> None:
    for method in ["PROPFIND", "FOO", "TRACE", "PATCH", "DELETE", "CONNECT"]:
        for url in ["/", "/auth/login", "/api/users", "/notifications/badge"]:
            assert client.open(url, method=method).status_code == 405, (method, url)


def test_a_very_long_url_is_answered(client: FlaskClient, alice: User) -> None:
    long = "a" * 100_000
    assert client.get(f"/{long}").status_code == 404
    assert client.get(f"/user/{long}").status_code == 404
    assert client.get(f"/explore?page={long}").status_code == 200
    assert client.get(f"/explore?{'a=b&' * 20_000}").status_code == 200
    assert client.get(f"/search?q={long}").status_code == 422
