"""Rate limits and per-account sign-in delays (SPEC 17): a throttled request gets 429, a
Retry-After and a message saying when to try again, as an htmx fragment, a page or JSON.

The suite runs with limits off (tests/conftest.py); this module turns them on, small. With
REDIS_URL set the counters live in Redis, as in production.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from microblog import create_app, ratelimits
from microblog.extensions import db, limiter
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import accounts, passwords
from tests.conftest import PASSWORD

ALLOWED = 2  # requests each limit lets through in a minute, in this module
LIMITS: dict[str, object] = {
    "RATELIMIT_ENABLED": True,
    **{name: f"{ALLOWED} per minute" for name in ratelimits.SETTINGS},
    "LOGIN_FAILURES_ALLOWED": 3,
    "LOGIN_DELAY_SECONDS": 5,
    "LOGIN_DELAY_MAX_SECONDS": 900,
}
if os.environ.get("REDIS_URL"):
    LIMITS["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app_config(translator) -> dict:  # noqa: ANN001
    return {**LIMITS, **translator.config()}


@pytest.fixture(autouse=True)
def fresh_counters(app: Flask) -> None:
    """Redis keeps counters from one test to the next (memory starts empty with each app)."""
    if app.config["RATELIMIT_ENABLED"]:
        limiter.reset()


@pytest.fixture
def no_default_limits_after() -> Iterator[None]:
    """Flask-Limiter keeps default limits from one app to the next: later tests must not
    inherit a test's RATELIMIT_DEFAULT."""
    yield
    limiter.limit_manager.set_default_limits([])


# --- every limited endpoint, in its shapes ----------------------------------------------


def _spanish_post() -> int:
    bob = db.session.scalar(select(User).where(User.username == "bob"))
    post = Post(body="Hola mundo", author=bob, language="es")
    db.session.add(post)
    db.session.commit()
    return post.id


# name -> (method, url, form data or JSON, signed in as alice?)
ENDPOINTS = {
    "login": ("POST", "/auth/login", {"username": "nobody", "password": "wrong"}, False),
    "register": ("POST", "/auth/register", {"username": "x"}, False),
    "reset request": (
        "POST",
        "/auth/reset_password_request",
        {"email": "nobody@example.com"},
        False,
    ),
    "posting": ("POST", "/index", {"post": "hello"}, True),
    "messaging": ("POST", "/send_message/bob", {"message": "hello"}, True),
    "translation": ("POST", "/translate?post_id={post}", {}, True),
    "search": ("GET", "/search?q=hello", None, True),
}
API_ENDPOINTS = {
    "api tokens": ("POST", "/api/tokens", {"auth": ("nobody", "wrong")}),
    "api registration": ("POST", "/api/users", {"json": {"username": "x"}}),
}


def _assert_throttled(response) -> int:  # noqa: ANN001
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    return seconds


@pytest.mark.parametrize("shape", ["htmx", "page"])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_limited_endpoint_answers_429_when_to_retry(
    client: FlaskClient, login, make_user, name: str, shape: str
) -> None:
    method, url, data, signed_in = ENDPOINTS[name]
    make_user("bob")
    if signed_in:
        login(make_user("alice"))
    url = url.format(post=_spanish_post())
    headers = {"HX-Request": "true"} if shape == "htmx" else {}
    for _ in range(ALLOWED):
        answer = client.open(url, method=method, data=data, headers=headers)
        assert answer.status_code != 429
    response = client.open(url, method=method, data=data, headers=headers)
    _assert_throttled(response)
    assert "Too many attempts. Try again in 1 minute." in response.text
    if shape == "htmx":
        assert "<html" not in response.text and "alert-danger" in response.text
        assert response.headers["HX-Retarget"] == "#flashes"
        assert response.headers["HX-Reswap"] == "innerHTML"
    else:
        assert "<html" in response.text and "Error 429" in response.text


@pytest.mark.parametrize("name", API_ENDPOINTS)
def test_each_limited_api_endpoint_answers_json(client: FlaskClient, name: str) -> None:
    method, url, kwargs = API_ENDPOINTS[name]
    for _ in range(ALLOWED):
        assert client.open(url, method=method, **kwargs).status_code in (400, 401)
    response = client.open(url, method=method, **kwargs)
    _assert_throttled(response)
    assert response.json == {
        "error": "Too Many Requests",
        "message": "Too many attempts. Try again in 1 minute.",
    }
    document = client.get("/api/openapi.json").json
    assert "Retry-After" in document["paths"][url]["post"]["responses"]["429"]["headers"]


def test_registration_is_one_count_for_the_form_and_the_api(client: FlaskClient) -> None:
    client.post("/auth/register", data={"username": "x"})
    client.post("/api/users", json={"username": "x"})
    _assert_throttled(client.post("/auth/register", data={"username": "x"}))


def test_posts_replies_and_api_posts_are_one_count(
    client: FlaskClient, login, make_user, make_post
) -> None:
    """New posts have one budget however they are sent: the home form, a reply, the API."""
    alice = make_user("alice")
    login(alice)
    post = make_post(alice, "a thread")
    client.post("/index", data={"post": "from the form"})
    client.post(f"/post/{post.id}", data={"post": "a reply"})
    _assert_throttled(client.post("/index", data={"post": "one too many"}))
    token = client.post("/api/tokens", auth=("alice", PASSWORD)).json["token"]
    answer = client.post(
        "/api/posts", json={"body": "and by the API"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 429


def test_signed_in_limits_count_per_account_not_per_address(
    app: Flask, client: FlaskClient, login, make_user
) -> None:
    make_user("bob")
    login(make_user("alice"))
    for _ in range(ALLOWED):
        client.post("/index", data={"post": "hello"})
    _assert_throttled(client.post("/index", data={"post": "hello"}))
    other = app.test_client()  # same address, another account: its own count
    other.post("/auth/login", data={"username": "bob", "password": PASSWORD})
    assert other.post("/index", data={"post": "hi"}).status_code == 303


def test_reading_pages_is_not_limited(client: FlaskClient, login, make_user) -> None:
    """GET of the forms, home and a conversation form stay free: only the actions count."""
    make_user("bob")
    login(make_user("alice"))
    for _ in range(ALLOWED + 3):
        for url in ("/index", "/send_message/bob", "/auth/login"):
            assert client.get(url).status_code in (200, 302)


@pytest.mark.parametrize("app_config", [{**LIMITS, "RATELIMIT_DEFAULT": "1 per minute"}])
def test_the_badge_poll_and_static_files_are_never_limited(
    no_default_limits_after: None, client: FlaskClient, alice: User
) -> None:
    """Even under a default limit on every route (RATELIMIT_DEFAULT, Flask-Limiter's own)."""
    client.get("/explore")
    _assert_throttled(client.get("/explore"))  # the default limit is on
    for _ in range(10):
        poll = client.get("/notifications/badge", headers={"HX-Request": "true"})
        assert poll.status_code == 200
        assert client.get("/static/css/microblog.css").status_code == 200


@pytest.mark.parametrize("app_config", [{**LIMITS, "RATELIMIT_ENABLED": False}])
def test_ratelimit_enabled_false_turns_everything_off(
    client: FlaskClient, login, make_user
) -> None:
    bob = make_user("bob")
    for _ in range(LIMITS["LOGIN_FAILURES_ALLOWED"] + ALLOWED + 1):
        response = client.post("/auth/login", data={"username": "bob", "password": "wrong"})
        assert response.status_code == 422
        assert client.post("/api/tokens", auth=("bob", "wrong")).status_code == 401
    db.session.refresh(bob)
    assert bob.failed_logins == 0 and bob.login_delayed_until is None
    login(bob)  # no delay either
    for _ in range(ALLOWED + 1):
        assert client.post("/index", data={"post": "hello"}).status_code == 303
        assert client.get("/search?q=hello").status_code == 200


# --- client addresses through proxies -------------------------------------------------------


def _login_from(client: FlaskClient, forwarded_for: str):  # noqa: ANN202
    return client.post(
        "/auth/login",
        data={"username": "nobody", "password": "wrong"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
    )


def test_x_forwarded_for_is_ignored_without_trusted_proxies(client: FlaskClient) -> None:
    """PROXY_COUNT=0 (the default): a client cannot dodge limits by naming other addresses."""
    for number in range(ALLOWED):
        assert _login_from(client, f"203.0.113.{number}").status_code == 422
    _assert_throttled(_login_from(client, "203.0.113.99"))


@pytest.mark.parametrize("app_config", [{**LIMITS, "PROXY_COUNT": 1}])
def test_one_trusted_proxy_counts_each_forwarded_client(client: FlaskClient) -> None:
    for number in range(ALLOWED + 2):
        assert _login_from(client, f"203.0.113.{number}").status_code == 422
    for _ in range(ALLOWED):
        _login_from(client, "198.51.100.7")
    _assert_throttled(_login_from(client, "198.51.100.7"))
    # Only the address the trusted proxy saw counts, not what the client claimed before it.
    _assert_throttled(_login_from(client, "192.0.2.1, 198.51.100.7"))


# --- failed sign-ins per account --------------------------------------------------------------


def _sign_in(client: FlaskClient, password: str, address: str, **headers: str):  # noqa: ANN202
    return client.post(
        "/auth/login",
        data={"username": "bob", "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def _fail(client: FlaskClient, times: int, first_address: int = 1) -> None:
    for number in range(first_address, first_address + times):
        assert _sign_in(client, "wrong", f"192.0.2.{number}").status_code == 422


def _end_delay(user: User) -> None:
    """As if the delay had run out (tests do not wait)."""
    user.login_delayed_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_an_account_is_delayed_after_repeated_failures_from_any_address(
    client: FlaskClient, make_user
) -> None:
    bob = make_user("bob")
    _fail(client, LIMITS["LOGIN_FAILURES_ALLOWED"])  # each from another address
    # Even the right password, from yet another address, must wait now.
    response = _sign_in(client, PASSWORD, "198.51.100.1")
    assert _assert_throttled(response) in (4, 5)  # LOGIN_DELAY_SECONDS
    assert "Try again in 5 seconds." in response.text or "in 4 seconds." in response.text
    htmx = _sign_in(client, PASSWORD, "198.51.100.2", **{"HX-Request": "true"})
    _assert_throttled(htmx)
    assert htmx.headers["HX-Retarget"] == "#flashes" and "<html" not in htmx.text
    db.session.refresh(bob)
    assert bob.failed_logins == LIMITS["LOGIN_FAILURES_ALLOWED"]  # waiting adds no failure


def test_the_api_basic_auth_shares_the_account_delay(client: FlaskClient, make_user) -> None:
    make_user("bob")
    for number in range(LIMITS["LOGIN_FAILURES_ALLOWED"]):
        response = client.post(
            "/api/tokens", auth=("bob", "wrong"), environ_base={"REMOTE_ADDR": f"192.0.2.{number}"}
        )
        assert response.status_code == 401
    response = client.post("/api/tokens", auth=("bob", PASSWORD))
    _assert_throttled(response)
    assert response.json["error"] == "Too Many Requests"
    assert response.json["message"].startswith("Too many attempts. Try again in ")
    # ... and the form sees the failures the API counted.
    _assert_throttled(_sign_in(client, PASSWORD, "198.51.100.1"))


def test_delays_double_with_each_failure_up_to_the_maximum(client: FlaskClient, make_user) -> None:
    bob = make_user("bob")
    allowed = LIMITS["LOGIN_FAILURES_ALLOWED"]
    expected = [5, 10, 20, 40]
    _fail(client, allowed - 1)
    for failure, seconds in enumerate(expected, start=allowed):
        before = utcnow()
        _fail(client, 1, first_address=failure)
        db.session.refresh(bob)
        assert bob.failed_logins == failure
        delay = (bob.login_delayed_until - before).total_seconds()
        assert seconds - 1 <= delay <= seconds + 1
        _end_delay(bob)
    bob.failed_logins = 1000  # never more than the maximum, and never for good
    db.session.commit()
    _fail(client, 1, first_address=100)
    db.session.refresh(bob)
    assert 899 <= (bob.login_delayed_until - utcnow()).total_seconds() <= 900


def test_a_successful_sign_in_resets_the_count(client: FlaskClient, make_user) -> None:
    bob = make_user("bob")
    _fail(client, LIMITS["LOGIN_FAILURES_ALLOWED"])
    _end_delay(bob)
    assert _sign_in(client, PASSWORD, "198.51.100.1").status_code == 303
    db.session.refresh(bob)
    assert bob.failed_logins == 0 and bob.login_delayed_until is None
    client.post("/auth/logout")
    # Counting starts again from zero: as many failures as allowed, less one, and no delay.
    _fail(client, LIMITS["LOGIN_FAILURES_ALLOWED"] - 1, first_address=50)
    assert _sign_in(client, PASSWORD, "198.51.100.2").status_code == 303


def test_a_password_reset_ends_the_delay(client: FlaskClient, make_user) -> None:
    bob = make_user("bob")
    _fail(client, LIMITS["LOGIN_FAILURES_ALLOWED"])
    token = passwords.make_token(bob)
    data = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(f"/auth/reset_password/{token}", data=data).status_code == 303
    db.session.refresh(bob)
    assert bob.failed_logins == 0 and bob.login_delayed_until is None
    assert _sign_in(client, NEW_PASSWORD, "198.51.100.1").status_code == 303


@pytest.mark.parametrize("app_config", [{**LIMITS, "LOGIN_FAILURES_ALLOWED": 1000}])
def test_concurrent_failures_each_count_once(app: Flask, make_user) -> None:
    """Several workers failing at once (each a connection of its own): the database counts."""
    bob_id = make_user("bob").id
    errors: list[BaseException] = []

    def fail() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    assert accounts.authenticate("bob", "wrong") is None
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(User.failed_logins).where(User.id == bob_id)) == 20


# --- settings -------------------------------------------------------------------------------


def test_a_limit_that_does_not_parse_stops_the_app_at_start(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        create_app({"RATELIMIT_LOGIN": "10 per fortnight", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_counters_go_to_redis_when_redis_url_is_set() -> None:
    app = create_app(
        {
            "RATELIMIT_ENABLED": False,  # no connection needed to read the setting
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/14"
    app = create_app(
        {"RATELIMIT_ENABLED": False, "REDIS_URL": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
