"""Fixtures: an app on SQLite (or on PostgreSQL when DATABASE_URL is set), clients, factories."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Engine, NullPool, create_engine, make_url

from microblog import create_app
from microblog.extensions import db
from microblog.models import Post, User

PASSWORD = "correct horse battery staple"


def without_csrf_token(html: str) -> str:
    """`html` without its CSRF tokens' values: a token is signed with the time to the second,
    so the same form rendered by two requests can differ in it."""
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*?) value="[^"]*"', r"\1", html)


# Shared fixtures: progress_log (export tests), mailbox (a loopback SMTP server),
# translator (a loopback stand-in for the Microsoft Translator API).
pytest_plugins = ["tests.mailbox", "tests.export_support", "tests.translator"]


def worker_number() -> int:
    """This pytest-xdist worker's number (gw1: 1); 0 when the tests run in one process."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n`), each worker gets a PostgreSQL database and a Redis
    database of its own, since tests empty theirs: DATABASE_URL's database with the
    worker's name appended (made here, dropped at the end) and REDIS_URL's database number
    less the worker's number. Both go into the environment, so that the servers the tests
    start (gunicorn, flask) use them too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    url = os.environ.get("DATABASE_URL")
    if url and not url.startswith("sqlite"):
        own = _own_database(url, worker)
        os.environ["DATABASE_URL"] = own
        config.add_cleanup(lambda: _drop_database(own, via=url))
    if redis := os.environ.get("REDIS_URL"):
        parts = urlsplit(redis)
        base = int(parts.path.strip("/") or 0)
        number = base - worker_number() if base >= worker_number() else base + worker_number()
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{number}"))


def _server(url: str) -> Engine:
    """An engine on `url`'s server, outside transactions (CREATE and DROP DATABASE)."""
    return create_engine(_driver(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _own_database(url: str, worker: str) -> str:
    """A new, empty database named after `url`'s and `worker`: its URL."""
    own = make_url(url)
    own = own.set(database=f"{own.database}_{worker}")
    with _server(url).connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    return own.render_as_string(hide_password=False)


def _drop_database(url: str, via: str) -> None:
    """Drop `url`'s database, connected to `via`'s (a database cannot drop itself)."""
    database = make_url(url).database
    with _server(via).connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _driver(url: str) -> str:
    """`url` for SQLAlchemy: postgres:// and postgresql:// through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(tmp_path) -> str:  # noqa: ANN001
    """PostgreSQL when DATABASE_URL is set (the same suite runs on both), else a SQLite file."""
    url = os.environ.get("DATABASE_URL")
    return _driver(url) if url else f"sqlite:///{tmp_path / 'test.db'}"


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production.

    Tests hold an app context for direct database access; without this, requests
    would share its `g` (cached user, locale) and its database session. After each
    request the test's session is expired, so the test reads what the request wrote.
    """

    def open(self, *args: object, **kwargs: object):  # noqa: ANN201
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for the whole test session.

    Each test builds its own app, whose Jinja environment would compile every template
    it renders again (a third of a small test's time). The apps all set Jinja up the same
    way (`create_app`), so they share the compiled code; a template whose source changed
    is compiled again (Jinja checks a checksum of the source).
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_app(tmp_path, **overrides: object) -> Flask:  # noqa: ANN001
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "AVATAR_DIR": str(tmp_path / "avatars"),  # uploaded pictures: never in the repo
        "SERVER_NAME": None,
        "MAIL_SERVER": None,
        "REDIS_URL": None,
        "POSTS_PER_PAGE": 25,
        # One PBKDF2 round instead of scrypt (~0.4 s a hash): users are made and log in
        # in most tests.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # Rate limits and sign-in delays would trip tests that log in or post many times;
        # tests/test_limits.py turns them on (the app's own default is on).
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(tmp_path, app_config: dict) -> Iterator[Flask]:  # noqa: ANN001
    app = make_app(tmp_path, **app_config)
    # A SQLite file of this test's own starts empty and is left behind; a shared
    # PostgreSQL database is emptied before and after.
    shared = not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:")
    with app.app_context():
        if shared:
            db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        if shared:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def hx(client: FlaskClient) -> Callable:
    """Same session as `client`; every request looks like htmx."""

    def request(method: str, url: str, headers: dict | None = None, **kwargs: object):
        return client.open(
            url, method=method, headers={"HX-Request": "true", **(headers or {})}, **kwargs
        )

    return request


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    def factory(
        username: str = "alice",
        email: str | None = None,
        password: str = PASSWORD,
        **fields: object,
    ) -> User:
        user = User(username=username, email=email or f"{username}@example.com", **fields)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_post(app: Flask) -> Callable[..., Post]:
    def factory(author: User, body: str = "hello", timestamp: datetime | None = None) -> Post:
        post = Post(body=body, author=author, language="en")
        if timestamp is not None:
            post.timestamp = timestamp
        db.session.add(post)
        db.session.commit()
        return post

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], None]:
    """Log in through the real form (with its CSRF token when CSRF is on)."""

    def do_login(user: User, password: str = PASSWORD) -> None:
        form = client.get("/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        response = client.post(
            "/auth/login",
            data={
                "username": user.username,
                "password": password,
                "csrf_token": token.group(1) if token else "",
            },
        )
        assert response.status_code == 303, response.text

    return do_login


@pytest.fixture
def alice(make_user: Callable[..., User], login: Callable) -> User:
    """A user who is logged in on `client`."""
    user = make_user("alice")
    login(user)
    return user
