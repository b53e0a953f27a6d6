"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis, in-process).

Every generated request must get no 5xx, a documented status code and content type, and a
body that matches the documented schema. Calls carry a real token of a seeded user (Basic
credentials for POST /api/tokens); a fuzzed DELETE /api/tokens revokes it, so each call gets
the current token afresh.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from microblog.models import User
from microblog.services import follows, tokens
from tests.conftest import PASSWORD

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(make_user, make_post) -> User:  # noqa: ANN001
    """Alice (id 1, the id the document's examples use) with posts, followers and followees."""
    alice = make_user("alice", about_me="First user")
    others = [make_user(name) for name in ("bob", "carol", "dave")]
    for other in others:
        follows.follow(other, alice)
        make_post(other, f"hello from {other.username}")
    follows.follow(alice, others[0])
    make_post(alice, "hello")
    return alice


@pytest.fixture
def api_schema(app: Flask, seeded: User):  # noqa: ANN201
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


def _authorization(case, app: Flask, user: User) -> str:  # noqa: ANN001
    if (case.method.upper(), case.path) == ("POST", "/api/tokens"):
        credentials = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        return f"Basic {credentials}"
    return f"Bearer {tokens.get_token(user, app.config['SECRET_KEY'])}"


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_matches_its_openapi_document(case, app: Flask, seeded: User) -> None:  # noqa: ANN001
    case.call_and_validate(
        headers={"Authorization": _authorization(case, app, seeded)}, checks=CHECKS
    )
