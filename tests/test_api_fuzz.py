"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis, in-process).

Every generated request must get no 5xx, a documented status code and content type, and a
body that matches the documented schema. Calls carry a real token of a seeded user (Basic
credentials for POST /api/tokens); a fuzzed DELETE /api/tokens revokes it, so each call gets
the current token afresh.

Schemathesis is used through its Python API rather than its pytest plugin:
`schema[path][method].as_strategy()` is documented for `@given` in non-Schemathesis tests,
and `Case.validate_response` runs the checks on a response we got ourselves. The plugin's
`from_fixture(...).parametrize()` writes pytest's private `Function._nodeid`, which pytest 9
no longer has, and its eager `parametrize()` gives every operation one and the same node id
there. Plain `pytest.mark.parametrize` and Hypothesis' own `@given` depend on neither.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema
from sqlalchemy import select

from microblog.api.openapi import JSON, PATHS
from microblog.extensions import db
from microblog.models import Post, User
from microblog.services import follows, tokens
from tests.conftest import PASSWORD

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Every operation the document lists, known at collection time so that each one is a test
# of its own (its own node id, its own fresh database) and a failure names the operation.
OPERATIONS = [
    (method.upper(), path)
    for path, item in PATHS.items()
    for method in item
    if method in HTTP_METHODS
]
# A body the views accept, where the operation needs one, for the explicit happy-path example.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/users"): {
        "username": "susan",
        "email": "susan@example.com",
        "password": "a long enough password",
    },
    ("PUT", "/api/users/{id}"): {"about_me": "Hi!"},
    ("POST", "/api/posts"): {"body": "Hello from the API", "reply_to": 1},
    ("PUT", "/api/posts/{id}"): {"body": "Hello, edited", "language": "en"},
}
# Bounded and reproducible: 25 generated calls an operation, the same ones on every run
# (derandomize: the seed comes from the test; no example database carries state over).
# Only the timing-based health check is off: on a loaded machine it would make the suite
# flaky, while the others are deterministic and worth hearing about.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _passwordless_user(username: str) -> User:
    """Nobody signs in as the others: sparing their scrypt hashes saves ~0.5 s a test."""
    user = User(username=username, email=f"{username}@example.com")
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def seeded(make_user: Callable[..., User], make_post: Callable[..., Post]) -> User:
    """Alice (id 1, the id the document's examples use) with posts, followers and followees.

    Post 1 (bob's) is one the document's examples name too: alice may read, like and answer it,
    but not edit or delete it (a 403).
    """
    alice = make_user("alice", about_me="First user")
    others = [_passwordless_user(name) for name in ("bob", "carol", "dave")]
    for other in others:
        follows.follow(other, alice)
        make_post(other, f"hello from {other.username}")
    follows.follow(alice, others[0])
    make_post(alice, "hello")
    return alice


def _own_post_id(user: User) -> int:
    """Alice's latest post: the id the happy path of /api/posts/{id} edits, likes, deletes."""
    return db.session.scalar(
        select(Post.id).where(Post.user_id == user.id).order_by(Post.id.desc()).limit(1)
    )


@pytest.fixture
def api_schema(app: Flask, seeded: User) -> BaseSchema:
    """The document as the app serves it, so what is fuzzed is what clients are told."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _authorization(case: Case, app: Flask, user: User) -> str:
    """Real credentials, fetched per call: a fuzzed DELETE /api/tokens revokes the last token."""
    if (case.method.upper(), case.path) == ("POST", "/api/tokens"):
        credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        return f"Basic {credentials}"
    return f"Bearer {tokens.get_token(user, app.config['SECRET_KEY'])}"


def _valid_case(operation: APIOperation, user: User) -> Case:
    """A request that must succeed, so that every run reaches the view behind the checks."""
    key = (operation.method.upper(), operation.path)
    body = VALID_BODIES.get(key)
    if operation.path.startswith("/api/posts/"):
        path_parameters = {"id": _own_post_id(user)}
    else:
        path_parameters = {"id": user.id} if "{id}" in operation.path else None
    return operation.Case(
        path_parameters=path_parameters,
        **({"body": body, "media_type": JSON} if body is not None else {}),
    )


def test_every_operation_of_the_served_document_is_fuzzed(api_schema: BaseSchema) -> None:
    """The document parses into operations, and none is missing from the parametrization."""
    results = list(api_schema.get_all_operations())
    assert [result.err() for result in results if isinstance(result, Err)] == []
    served = {(result.ok().method.upper(), result.ok().path) for result in results}
    # Schemathesis leaves out the operation it loaded the document from; this file does not.
    assert served | {("GET", "/api/openapi.json")} == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_matches_its_openapi_document(
    method: str, path: str, app: Flask, seeded: User, api_schema: BaseSchema
) -> None:
    """Valid and invalid input alike: both generation modes, as schemathesis runs by default.

    The database is per operation, not per call: what earlier calls left behind (new users,
    a revoked token) is part of the input.
    """
    operation = api_schema[path][method]
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])
    # The suite's client: each request in an app context of its own, as in production.
    client: FlaskClient = app.test_client()
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(case=cases)
    @example(case=_valid_case(operation, seeded))
    def call_and_validate(case: Case) -> None:
        headers = {"Authorization": _authorization(case, app, seeded)}
        note(case.as_curl_command(headers=headers))  # shown for the failing call only
        response = client.open(**case.as_transport_kwargs(headers=headers))
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    call_and_validate()
    # Were every answer a 401 or a 404, every check above would pass without reaching a view.
    assert any(200 <= status < 300 for status in statuses), statuses
