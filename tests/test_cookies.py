"""Session cookies: a cookie verified once is remembered, never trusted beyond Flask's rules."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient

from microblog import cookies
from microblog.cookies import VerifiedCookieSessions
from microblog.models import User


def session_cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def assert_logged_in(client: FlaskClient) -> None:
    response = client.get("/index")
    assert response.status_code == 200
    assert "Hi, alice!" in response.text


def assert_logged_out(client: FlaskClient) -> None:
    response = client.get("/index")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_app_remembers_verified_cookies(app: Flask, client: FlaskClient, alice: User) -> None:
    assert isinstance(app.session_interface, VerifiedCookieSessions)
    assert_logged_in(client)
    assert_logged_in(client)
    assert any(cookie == session_cookie(client) for _, cookie in app.session_interface.verified)


def test_each_request_gets_its_own_session(client: FlaskClient, alice: User) -> None:
    """A flashed message shows once: the remembered cookie never shares session state."""
    response = client.post("/index", data={"post": "Hello there"}, follow_redirects=True)
    assert "Your post is now live!" in response.text
    assert "Your post is now live!" not in client.get("/index").text
    assert "Your post is now live!" not in client.get("/index").text


def test_a_cookie_signed_with_another_key_is_refused(
    app: Flask, client: FlaskClient, alice: User
) -> None:
    assert_logged_in(client)
    genuine = SecureCookieSessionInterface().get_signing_serializer(app)
    session = genuine.loads(session_cookie(client))
    forger = Flask("forger")
    forger.secret_key = "not-the-secret"
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(session)
    client.set_cookie("session", forged)
    assert_logged_out(client)


def test_a_tampered_cookie_is_refused(client: FlaskClient, alice: User) -> None:
    assert_logged_in(client)
    payload, stamp, signature = session_cookie(client).rsplit(".", 2)
    client.set_cookie("session", f"{payload}.{stamp}.{signature[:-2]}AA")
    assert_logged_out(client)


def test_a_remembered_cookie_still_expires(
    app: Flask, client: FlaskClient, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_logged_in(client)  # remembered now
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    assert_logged_out(client)


def test_a_new_secret_key_verifies_every_cookie_again(
    app: Flask, client: FlaskClient, alice: User
) -> None:
    assert_logged_in(client)  # remembered under the old key
    app.secret_key = "a-new-secret"
    app.config["SECRET_KEY"] = "a-new-secret"
    assert_logged_out(client)


def test_size_zero_verifies_every_request(app: Flask, client: FlaskClient, alice: User) -> None:
    app.session_interface = VerifiedCookieSessions(0)
    assert_logged_in(client)
    assert_logged_in(client)
    assert app.session_interface.verified == {}
