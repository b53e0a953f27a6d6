"""A first visit: the site says what it is, signs a new account in, and refuses weak passwords."""

from __future__ import annotations

import pytest

from microblog.extensions import db
from microblog.models import User

GOOD = "a long enough passphrase"


def register(client, username: str = "newbie", password: str = GOOD, **extra):  # noqa: ANN001, ANN201
    data = {"username": username, "email": f"{username}@example.com", "password": password}
    data["password2"] = extra.pop("password2", password)
    return client.post("/auth/register", data=data, **extra)


def test_anonymous_navbar_offers_login_and_register_only(client):
    page = client.get("/auth/login").text
    assert 'href="/auth/login"' in page and 'href="/auth/register"' in page
    assert 'href="/explore"' not in page and ">Home<" not in page


def test_login_page_says_what_the_site_is_and_offers_registration(client):
    page = client.get("/auth/login").text
    assert "small social network" in page
    assert "Create an account" in page


def test_a_page_that_needs_a_login_says_so(client):
    response = client.get("/explore", follow_redirects=True)
    assert "Please log in to access this page." in response.text


def test_a_new_account_is_signed_in_at_once(client):
    response = register(client)
    assert response.status_code == 303 and response.headers["Location"] == "/index"
    page = client.get("/index").text
    assert "Welcome to Microblog, newbie!" in page
    assert 'href="/user/newbie"' in page


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("pw", "Use at least 8 characters."),
        ("1234567", "Use at least 8 characters."),
        ("password", "This password is too common"),
        ("Password1", "This password is too common"),
        ("12345678", "This password is too common"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(client, password, error):
    response = register(client, password=password)
    assert response.status_code == 422
    assert error in response.text
    assert db.session.scalar(db.select(User).where(User.username == "newbie")) is None


def test_password_field_says_the_rule_before_it_is_broken(client):
    page = client.get("/auth/register").text
    assert "At least 8 characters." in page
    assert 'aria-describedby="password-help"' in page


def test_logging_out_says_so(client, alice):
    response = client.post("/auth/logout", follow_redirects=True)
    assert "You have been logged out." in response.text
    assert "Please log in to access this page." not in response.text
