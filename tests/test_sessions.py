"""Signed-in sessions live on the server: signing out ends the cookies everywhere."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from microblog.extensions import db
from microblog.models import User, UserSession
from microblog.models.base import utcnow
from microblog.services import passwords
from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


def sign_in(app: Flask, user: User, agent: str = FIREFOX, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    data = {"username": user.username, "password": PASSWORD}
    if remember:
        data["remember_me"] = "y"
    assert client.post("/auth/login", data=data).status_code == 303
    return client


def copy_of(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """A second browser holding the same cookies (copied from a shared computer, a log)."""
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = client.environ_base["HTTP_USER_AGENT"]
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/index")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_cookie_replayed_after_logout_is_dead(app, make_user):
    user = make_user("bob")
    browser = sign_in(app, user)
    stolen = copy_of(app, browser, "session")
    assert signed_in(stolen)
    assert browser.post("/auth/logout").status_code == 303
    assert not signed_in(browser)
    assert not signed_in(stolen)


def test_a_remember_me_cookie_alone_is_dead_after_logout(app, make_user):
    user = make_user("bob")
    browser = sign_in(app, user, remember=True)
    stolen = copy_of(app, browser, "remember_token")  # no session cookie: remember-me logs in
    assert signed_in(stolen)
    browser.post("/auth/logout")
    assert not signed_in(copy_of(app, stolen, "remember_token"))


def test_the_sessions_page_lists_each_sign_in_with_its_device(app, make_user):
    user = make_user("bob")
    laptop = sign_in(app, user, FIREFOX)
    sign_in(app, user, IPHONE)
    page = laptop.get("/auth/sessions").text
    assert "Firefox on Linux" in page and "Mobile Safari on iOS" in page
    assert page.count("This device") == 1
    assert page.index("This device") > page.index("Firefox on Linux")
    assert "Sign out everywhere else" in page


def test_signing_out_another_session_ends_it_only(app, make_user):
    user = make_user("bob")
    laptop, phone = sign_in(app, user, FIREFOX), sign_in(app, user, IPHONE)
    phone_id = db.session.scalar(
        db.select(UserSession.id).where(UserSession.device == "Mobile Safari on iOS")
    )
    response = laptop.post(f"/auth/sessions/{phone_id}/end")
    assert response.status_code == 303 and response.headers["Location"] == "/auth/sessions"
    assert "That session has been signed out." in laptop.get("/auth/sessions").text
    assert not signed_in(phone)
    assert signed_in(laptop)


def test_sign_out_everywhere_else_keeps_this_device(app, make_user):
    user = make_user("bob")
    laptop = sign_in(app, user)
    others = [sign_in(app, user, IPHONE), sign_in(app, user, IPHONE, remember=True)]
    laptop.post("/auth/sessions/end-others")
    assert "Signed out of 2 other sessions." in laptop.get("/auth/sessions").text
    assert signed_in(laptop)
    assert not any(signed_in(other) for other in others)


def test_nobody_ends_another_users_session_or_their_own_current_one(app, make_user):
    bob, carol = make_user("bob"), make_user("carol")
    bobs = sign_in(app, bob)
    carols = sign_in(app, carol)
    carol_session = db.session.scalar(
        db.select(UserSession.id).where(UserSession.user_id == carol.id)
    )
    assert bobs.post(f"/auth/sessions/{carol_session}/end").status_code == 404
    assert carols.post(f"/auth/sessions/{carol_session}/end").status_code == 400
    assert signed_in(carols)
    assert bobs.post("/auth/sessions/nonsense/end").status_code == 404


def test_a_new_password_ends_every_session(app, make_user):
    user = make_user("bob")
    browsers = [sign_in(app, user), sign_in(app, user, IPHONE, remember=True)]
    passwords.reset_password(user, "a brand new passphrase")
    assert not any(signed_in(browser) for browser in browsers)


def test_sessions_page_needs_a_login(client):
    response = client.get("/auth/sessions")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_forged_token_in_the_cookie_signs_nobody_in(app, make_user):
    user = make_user("bob")
    browser = sign_in(app, user)
    with browser.session_transaction() as session:
        session["_user_id"] = "x" * 43
    assert not signed_in(browser)
    with browser.session_transaction() as session:
        session["_user_id"] = str(user.id)  # the course's cookie format: a bare user id
    assert not signed_in(browser)


def test_a_new_sign_in_drops_sessions_idle_for_a_year(app, make_user):
    user = make_user("bob")
    old = sign_in(app, user)
    long_ago = utcnow() - timedelta(days=400)
    db.session.execute(db.update(UserSession).values(last_used_at=long_ago))
    db.session.commit()
    sign_in(app, user, IPHONE)
    devices = db.session.scalars(db.select(UserSession.device)).all()
    assert devices == ["Mobile Safari on iOS"]
    assert not signed_in(old)
