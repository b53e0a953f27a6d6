"""Password reset by email, against a real SMTP server (aiosmtpd on a free loopback port)."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow
from microblog.services import passwords
from tests.conftest import PASSWORD, make_app
from tests.mailbox import Mailbox, free_port, link_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict:
    return mailbox.config()


@pytest.fixture
def bob(make_user) -> User:  # noqa: ANN001
    return make_user("bob", email="Bob@Example.com")


def request_reset(client: FlaskClient, email: str):  # noqa: ANN201
    return client.post("/auth/reset_password_request", data={"email": email})


def signs_in(client: FlaskClient, password: str) -> bool:
    response = client.post("/auth/login", data={"username": "bob", "password": password})
    client.post("/auth/logout")
    return response.status_code == 303


def path_of(link: str) -> str:
    return urlsplit(link).path


def without_csrf_tokens(page: str) -> str:
    """A CSRF token carries the second it was signed in, so two pages can differ there alone."""
    return re.sub(r"[\w-]+\.[\w-]{6}\.[\w-]{27}", "<csrf>", page)


def test_login_page_links_to_the_reset_request(client: FlaskClient) -> None:
    page = client.get("/auth/login").text
    assert "Forgot your password?" in page
    assert 'href="/auth/reset_password_request"' in page


def test_request_page_has_an_email_form(client: FlaskClient) -> None:
    response = client.get("/auth/reset_password_request")
    assert response.status_code == 200
    assert 'action="/auth/reset_password_request"' in response.text
    assert 'name="email"' in response.text
    assert response.headers["Cache-Control"] == "private, no-store"


def test_reset_by_email_end_to_end(client: FlaskClient, mailbox: Mailbox, bob: User) -> None:
    response = request_reset(client, "bob@example.com")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    assert "Check your email" in client.get("/auth/login").text

    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_tos == ["Bob@Example.com"]
    assert mail.message["To"] == "Bob@Example.com"
    assert mail.subject == "[Microblog] Reset Your Password"
    text, html = mail.part("text/plain"), mail.part("text/html")
    link = link_in(text)
    assert link.startswith("http://localhost/auth/reset_password/")
    assert "Dear bob," in text
    assert f'href="{link}"' in html
    assert "expires in 10 minutes" in text and "expires in 10 minutes" in html

    form = client.get(path_of(link))
    assert form.status_code == 200
    assert 'name="password"' in form.text and 'name="password2"' in form.text

    done = client.post(path_of(link), data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["Location"] == "/auth/login"
    assert "Your password has been reset" in client.get("/auth/login").text

    assert signs_in(client, NEW_PASSWORD)
    assert not signs_in(client, PASSWORD)

    again = client.get(path_of(link), follow_redirects=True)
    assert again.request.path == "/auth/reset_password_request"
    assert "invalid or has already been used" in again.text
    reused = client.post(path_of(link), data={"password": "x" * 12, "password2": "x" * 12})
    assert reused.status_code == 303
    assert reused.headers["Location"] == "/auth/reset_password_request"
    assert signs_in(client, NEW_PASSWORD)


def test_unknown_and_known_addresses_get_the_same_answer(
    client: FlaskClient, mailbox: Mailbox, bob: User
) -> None:
    unknown = request_reset(client, "nobody@example.com")
    unknown_page = client.get(unknown.headers["Location"]).text
    known = request_reset(client, "bob@example.com")
    known_page = client.get(known.headers["Location"]).text
    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["Location"] == known.headers["Location"]
    assert unknown.get_data() == known.get_data()
    assert "<csrf>" in without_csrf_tokens(known_page)
    assert without_csrf_tokens(unknown_page) == without_csrf_tokens(known_page)

    # Only the real account was written to (the unknown request went first).
    request_reset(client, "bob@example.com")
    mails = mailbox.wait_for(2)
    assert [mail.rcpt_tos for mail in mails] == [["Bob@Example.com"], ["Bob@Example.com"]]


def test_unknown_address_sends_nothing(app: Flask, bob: User) -> None:
    with app.test_request_context():
        assert passwords.request_reset("nobody@example.com", lambda token: token) is None
        thread = passwords.request_reset("BOB@example.COM", lambda token: token)
        assert thread is not None


def test_an_invalid_address_is_refused_next_to_the_field(client: FlaskClient) -> None:
    response = request_reset(client, "not an address")
    assert response.status_code == 422
    assert "is-invalid" in response.text and "invalid-feedback" in response.text


@pytest.mark.parametrize(
    ("age", "works"),
    [(timedelta(minutes=9, seconds=50), True), (timedelta(minutes=10, seconds=1), False)],
)
def test_a_link_expires_after_ten_minutes(
    client: FlaskClient, bob: User, age: timedelta, works: bool
) -> None:
    token = passwords.make_token(bob, now=utcnow() - age)
    response = client.get(f"/auth/reset_password/{token}", follow_redirects=True)
    if works:
        assert response.request.path == f"/auth/reset_password/{token}"
        assert 'name="password2"' in response.text
    else:
        assert response.request.path == "/auth/reset_password_request"
        assert "This password reset link has expired" in response.text
        response = client.post(
            f"/auth/reset_password/{token}",
            data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 303
        assert signs_in(client, PASSWORD)


def test_the_service_checks_expiry_against_the_given_clock(app: Flask, bob: User) -> None:
    issued = utcnow()
    token = passwords.make_token(bob, now=issued)
    assert passwords.verify_token(token, now=issued + timedelta(minutes=9, seconds=59)) == bob
    with pytest.raises(passwords.TokenError) as refused:
        passwords.verify_token(token, now=issued + timedelta(minutes=10))
    assert refused.value.expired


def forged_tokens(user: User, secret: bytes, app_secret: str) -> list[str]:
    expires = int(time.time()) + 600
    genuine = passwords.make_token(user)
    header, payload, signature = genuine.split(".")
    other_user = {"purpose": "reset_password", "sub": "999", "fp": "x", "exp": expires}
    wrong_purpose = {"purpose": "api", "sub": str(user.id), "fp": "x", "exp": expires}
    return [
        "not-a-token",
        f"{header}.{payload}.{signature[::-1]}",
        jwt.encode({"purpose": "reset_password", "sub": str(user.id), "exp": expires}, "g" * 32),
        # A genuine-looking payload signed with SECRET_KEY itself, as another JWT of the app.
        jwt.encode(jwt.decode(genuine, options={"verify_signature": False}), app_secret),
        jwt.encode(other_user, secret),
        jwt.encode(wrong_purpose, secret),
        jwt.encode({"purpose": "reset_password", "sub": str(user.id), "fp": "x"}, secret),
    ]


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_forged_links_are_refused_with_a_message(
    app: Flask, client: FlaskClient, bob: User
) -> None:
    for token in forged_tokens(bob, passwords.signing_key(), app.config["SECRET_KEY"]):
        response = client.get(f"/auth/reset_password/{token}", follow_redirects=True)
        assert response.status_code == 200, token
        assert response.request.path == "/auth/reset_password_request"
        assert "invalid or has already been used" in response.text
        posted = client.post(
            f"/auth/reset_password/{token}",
            data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert posted.status_code == 303
    assert signs_in(client, PASSWORD)


def test_mismatched_passwords_are_refused_and_the_link_still_works(
    client: FlaskClient, bob: User
) -> None:
    link = f"/auth/reset_password/{passwords.make_token(bob)}"
    response = client.post(link, data={"password": NEW_PASSWORD, "password2": "other"})
    assert response.status_code == 422
    assert "Passwords must match." in response.text
    assert signs_in(client, PASSWORD)
    response = client.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 303
    assert signs_in(client, NEW_PASSWORD)


def test_a_signed_in_user_is_sent_home(client: FlaskClient, alice: User) -> None:
    response = client.get("/auth/reset_password_request")
    assert response.status_code == 302
    assert response.headers["Location"] == "/index"


def test_a_dead_mail_server_is_logged_not_shown(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(
        tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_SUPPRESS_SEND=False
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = User(username="bob", email="bob@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        try:
            with caplog.at_level(logging.ERROR, logger=app.logger.name):
                response = request_reset(app.test_client(), "bob@example.com")
                assert response.status_code == 303
                deadline = time.monotonic() + 10
                while not any("Could not send email" in r.getMessage() for r in caplog.records):
                    assert time.monotonic() < deadline, "the SMTP failure was not logged"
                    time.sleep(0.05)
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    [record] = [r for r in caplog.records if "Could not send email" in r.message]
    assert record.exc_info is not None and "bob@example.com" in record.getMessage()


def test_a_reset_signs_out_every_other_session(
    app: Flask, client: FlaskClient, mailbox: Mailbox, bob: User
) -> None:
    """A stolen session or remember-me cookie stops working once the password is reset."""
    other = app.test_client()  # another browser, signed in with "remember me"
    other.post("/auth/login", data={"username": "bob", "password": PASSWORD, "remember_me": "y"})
    assert other.get("/index").status_code == 200
    assert "every 10s" in other.get("/notifications/badge", headers={"HX-Request": "true"}).text

    request_reset(client, "bob@example.com")
    [mail] = mailbox.wait_for(1)
    link = link_in(mail.part("text/plain"))
    client.post(path_of(link), data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = other.get("/index")  # neither the session nor the remember-me cookie
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    badge = other.get("/notifications/badge?since=0", headers={"HX-Request": "true"})
    assert badge.status_code == 200 and "hx-trigger" not in badge.text  # polling stops
    assert signs_in(client, NEW_PASSWORD)
