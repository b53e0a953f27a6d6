"""Property-based fuzzing of the web forms, path segments and `?next=` (Hypothesis).

Whatever text a visitor types or puts in a URL (control characters, NUL, any Unicode but
lone surrogates, which no browser sends, very long strings), the answer is never a 5xx:
a refusal shows next to the field (422), a name that matches nothing is a 404. Fields are
read from the form classes, so a field added later is fuzzed too; the API has its own fuzz
(tests/test_api_fuzz.py).

Deterministic and bounded: `derandomize=True` (the same examples on every run), no example
database, few examples. Each test keeps one app and database for all its examples (hence
the function-scoped-fixture health check is off): state left by one example (a post, a
new username) is just more input for the next.
"""

from __future__ import annotations

import operator
import re

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from microblog import forms
from microblog.models import User
from tests.conftest import PASSWORD

FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CHARACTERS = st.characters(exclude_categories=["Cs"])
CONTROL = st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028\ufeff\u202e")
TEXT = st.one_of(
    st.text(CHARACTERS, max_size=30),
    st.text(CONTROL | CHARACTERS, min_size=1, max_size=10),
    st.builds(operator.mul, st.text(CHARACTERS, min_size=1, max_size=3), st.integers(50, 2_000)),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\r\n", "%00", "%ff", "../..", "alice", "bob"]),
)
HTMX = st.sampled_from([{}, {"HX-Request": "true"}])


def fields_of(form: type[FlaskForm]) -> list[str]:
    """The names a form class posts (its fields, the submit button too)."""
    return sorted(name for name in dir(form) if isinstance(getattr(form, name), UnboundField))


def form_data(form: type[FlaskForm]) -> st.SearchStrategy[dict[str, str]]:
    """Any text in any subset of the form's fields."""
    return st.fixed_dictionaries({}, optional={name: TEXT for name in fields_of(form)})


# (URL, form class, whether the visitor is signed in, method)
FORMS = [
    ("/auth/login", forms.LoginForm, False, "POST"),
    ("/auth/register", forms.RegistrationForm, False, "POST"),
    ("/auth/reset_password_request", forms.ResetPasswordRequestForm, False, "POST"),
    ("/index", forms.PostForm, True, "POST"),
    ("/send_message/bob", forms.MessageForm, True, "POST"),
    ("/edit_profile", forms.EditProfileForm, True, "POST"),
    ("/search", forms.SearchForm, True, "GET"),
]


@pytest.fixture
def people(app: Flask, make_user) -> User:  # noqa: ANN001
    """alice (who the signed-in cases sign in as) and bob (who she writes to)."""
    make_user("bob")
    return make_user("alice")


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.mark.parametrize(
    ("url", "form", "signed", "method"), FORMS, ids=[form.__name__ for _, form, _, _ in FORMS]
)
def test_no_form_input_is_a_server_error(
    app: Flask, people: User, url: str, form: type[FlaskForm], signed: bool, method: str
) -> None:
    client = signed_in(app) if signed else None

    @FUZZ
    @given(data=form_data(form), headers=HTMX)
    def check(data: dict[str, str], headers: dict[str, str]) -> None:
        # Anonymous forms get a fresh visitor each time (a registration signs in).
        visitor = client or app.test_client()
        if method == "GET":
            response = visitor.get(url, query_string=data, headers=headers)
        else:
            response = visitor.post(url, data=data, headers=headers)
        assert response.status_code < 500, (data, response.status_code)

    check()


def test_no_raw_form_body_is_a_server_error(app: Flask, people: User) -> None:
    """Bytes that are no valid UTF-8 or percent-encoding, as a browser's form body."""
    client = signed_in(app)
    content_type = "application/x-www-form-urlencoded"

    @FUZZ
    @given(body=st.binary(max_size=300))
    def check(body: bytes) -> None:
        for url in ("/index", "/edit_profile", "/send_message/bob"):
            response = client.post(url, data=body, content_type=content_type)
            assert response.status_code < 500, (url, body)

    check()


_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def text_routes(app: Flask) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, endpoint, text arguments, int arguments) of every route with a text
    argument in its path."""
    found = []
    for rule in app.url_map.iter_rules():
        arguments = {m["name"]: m["converter"] for m in _ARGUMENT.finditer(rule.rule)}
        texts = [name for name, converter in arguments.items() if converter != "int"]
        numbers = [name for name, converter in arguments.items() if converter == "int"]
        if texts:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.endpoint, texts, numbers))
    return found


def test_no_path_segment_is_a_server_error(app: Flask, people: User) -> None:
    client = signed_in(app)
    routes = text_routes(app)
    assert any(endpoint == "users.user" for _, endpoint, _, _ in routes)

    @FUZZ
    @given(segment=TEXT.filter(bool), headers=HTMX)
    def check(segment: str, headers: dict[str, str]) -> None:
        for method, endpoint, texts, numbers in routes:
            with app.test_request_context():
                url = url_for(
                    endpoint, **dict.fromkeys(texts, segment), **dict.fromkeys(numbers, 1)
                )
            response = client.open(url, method=method, headers=headers)
            assert response.status_code < 500, (method, url, response.status_code)

    check()


def test_no_next_is_a_server_error_or_leaves_the_site(app: Flask, people: User) -> None:
    """`?next=` on signing in (the right password) and when already signed in."""

    @FUZZ
    @given(next_page=TEXT | TEXT.map(lambda text: "/" + text))
    def check(next_page: str) -> None:
        client = app.test_client()
        response = client.post(
            "/auth/login",
            query_string={"next": next_page},
            data={"username": "alice", "password": PASSWORD},
        )
        assert response.status_code in (303, 400), (next_page, response.status_code)
        if response.status_code == 303:
            assert response.headers["Location"].startswith("/")
            assert not response.headers["Location"].startswith("//")
            response = client.get("/auth/login", query_string={"next": next_page})
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/")
            assert not response.headers["Location"].startswith("//")

    check()
