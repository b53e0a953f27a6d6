"""Registration, login (with ?next=), logout."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import User
from microblog.services import passwords
from tests.conftest import PASSWORD


def register(
    client,
    username="bob",
    email="bob@example.com",
    password="pw-123456",  # noqa: ANN001
    password2=None,
):
    return client.post(
        "/auth/register",
        data={
            "username": username,
            "email": email,
            "password": password,
            "password2": password2 if password2 is not None else password,
        },
    )


def test_register_signs_in_then_login_works(client):
    response = register(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/index"
    user = db.session.scalar(select(User).where(User.username == "bob"))
    assert user.password_hash != "pw-123456" and user.check_password("pw-123456")
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"username": "bob", "password": "pw-123456"})
    assert response.status_code == 303
    assert "Hi, bob!" in client.get("/index").text


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"username": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"password2": "other"}, "Passwords must match."),
        ({"username": "a" * 65}, "Field cannot be longer than 64 characters."),
        ({"username": "has space"}, "Use letters, digits"),
        ({"username": "x/y"}, "Use letters, digits"),
    ],
)
def test_register_refuses_bad_input(client, fields, error):
    response = register(client, **fields)
    assert response.status_code == 422
    assert error in response.text
    assert "is-invalid" in response.text
    assert db.session.scalar(select(User)) is None


def test_register_refuses_duplicates(client, make_user):
    make_user("bob", email="Bob@Example.com")
    response = register(client, username="bob", email="bob@example.com")
    assert response.status_code == 422
    assert "Please use a different username." in response.text
    assert "Please use a different email address." in response.text
    assert len(db.session.scalars(select(User)).all()) == 1


def test_new_hashes_follow_the_configured_method_and_old_ones_still_work(app, client, make_user):
    bob = make_user("bob")  # hashed with the tests' cheap method (tests/conftest.py)
    assert bob.password_hash.startswith("pbkdf2:sha256:1$")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2"
    response = client.post("/auth/login", data={"username": "bob", "password": PASSWORD})
    assert response.status_code == 303  # a hash names its own method
    assert make_user("carol").password_hash.startswith("pbkdf2:sha256:2$")
    # The stand-in account of an unknown address is hashed the same way.
    assert passwords.decoy_hash("pbkdf2:sha256:2").startswith("pbkdf2:sha256:2$")


def test_login_wrong_password(client, make_user):
    make_user("bob")
    response = client.post("/auth/login", data={"username": "bob", "password": "nope"})
    assert response.status_code == 422
    assert "Invalid username or password" in response.text


def test_login_required_redirects_and_back(client, make_user):
    make_user("bob")
    response = client.get("/explore?page=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/explore?page%3D2"
    response = client.post(
        response.headers["Location"], data={"username": "bob", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/explore?page=2"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_off_site(client, make_user, next_url):
    make_user("bob")
    response = client.post(
        "/auth/login",
        query_string={"next": next_url},
        data={"username": "bob", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/index"


def test_htmx_request_needing_login_gets_hx_redirect(hx):
    response = hx("GET", "/explore?page=2")
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/auth/login?next=")
    assert response.text == ""


def test_remember_me_sets_cookie(client, make_user):
    make_user("bob")
    response = client.post(
        "/auth/login", data={"username": "bob", "password": PASSWORD, "remember_me": "y"}
    )
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_logout_is_a_post(client, alice):
    page = client.get("/auth/logout")
    assert page.status_code == 200 and 'method="post"' in page.text
    assert client.get("/index").status_code == 200  # still logged in after the GET
    response = client.post("/auth/logout")
    assert response.status_code == 303
    assert client.get("/index").status_code == 302


def test_htmx_action_needing_login_comes_back_to_its_page(hx):
    response = hx("POST", "/follow/bob", headers={"HX-Current-URL": "http://localhost/user/bob"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/auth/login?next=/user/bob"


def test_form_post_needing_login_comes_back_to_the_form_page(client):
    response = client.post(
        "/index", data={"post": "hi"}, headers={"Referer": "http://localhost/index?page=2"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/index?page%3D2"


# --- constant-time login: an unknown name costs one password-hash check too ---------------


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:  # noqa: ANN001
    """The hashes werkzeug's check_password_hash is asked to check, in order."""
    from microblog.models import user as user_module

    checked: list[str] = []
    real = user_module.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(user_module, "check_password_hash", counting)
    return checked


def _method(pwhash: str) -> str:
    return pwhash.split("$", 1)[0]


@pytest.mark.parametrize("username", ["nobody", "x" * 65, "no\x00body"])
def test_unknown_username_costs_one_real_hash_check_on_the_form(
    client, make_user, hash_checks, username
):
    bob = make_user("bob")
    response = client.post("/auth/login", data={"username": "bob", "password": "wrong"})
    assert response.status_code == 422 and len(hash_checks) == 1
    hash_checks.clear()
    client.post("/auth/login", data={"username": username, "password": "wrong"})
    if "\x00" not in username:  # the form refuses a NUL before any check
        assert len(hash_checks) == 1
        # The decoy is a real hash made like the account's: the same method, the same cost.
        assert _method(hash_checks[0]) == _method(bob.password_hash)
        assert hash_checks[0] != bob.password_hash


@pytest.mark.parametrize("username", ["nobody", "x" * 65, "no\x00body"])
def test_unknown_username_costs_one_real_hash_check_on_the_api(
    client, make_user, hash_checks, username
):
    bob = make_user("bob")
    assert client.post("/api/tokens", auth=("bob", "wrong")).status_code == 401
    assert len(hash_checks) == 1
    hash_checks.clear()
    assert client.post("/api/tokens", auth=(username, "wrong")).status_code == 401
    assert len(hash_checks) == 1
    assert _method(hash_checks[0]) == _method(bob.password_hash)
