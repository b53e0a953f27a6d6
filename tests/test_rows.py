"""Remembered list rows (microblog/rows.py): the same page as rendering every row, never stale."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from microblog import i18n, rows
from microblog.models import User
from microblog.models.base import utcnow


def post_list(page: str) -> str:
    return page[page.index('id="post-list"') :]


@pytest.fixture
def bob(make_user, make_post) -> User:  # noqa: ANN001
    bob = make_user("bob")
    now = utcnow()
    for minutes in range(30):
        make_post(bob, f"post <b>{minutes}</b>", now - timedelta(minutes=minutes, seconds=20))
    return bob


def test_remembered_rows_are_the_rows_rendered_afresh(
    client: FlaskClient, app: Flask, alice: User, bob: User
) -> None:
    first = client.get("/explore").text
    second = client.get("/explore").text  # served from the remembered rows
    assert first.count('class="post ') == 25
    assert "post &lt;b&gt;3&lt;/b&gt;" in first

    cache = app.extensions["row_cache"]
    assert len(cache) == 25
    cache.clear()
    cache.size = 0  # every row rendered by its partial
    fresh = client.get("/explore").text
    assert cache == {}
    assert post_list(second) == post_list(first) == post_list(fresh)


def test_a_renamed_author_shows_at_once(client: FlaskClient, alice: User, make_post) -> None:  # noqa: ANN001
    make_post(alice, "mine")
    assert ">alice</a>" in client.get("/explore").text
    client.post("/edit_profile", data={"username": "alicia", "about_me": ""})
    page = client.get("/explore").text
    assert ">alicia</a>" in page and ">alice</a>" not in page
    assert 'href="/user/alicia"' in page


def test_ages_move_on(
    client: FlaskClient, alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert re.search(r"\d+ seconds ago</time>", client.get("/explore").text)
    later = utcnow() + timedelta(hours=3)
    for module in (i18n, rows):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    page = client.get("/explore").text
    assert "seconds ago" not in page
    assert re.findall(r"(\d+ hours ago)</time>", page)[0] == "3 hours ago"


def test_rows_follow_the_readers_language(client: FlaskClient, alice: User, bob: User) -> None:
    english = client.get("/explore").text
    spanish = client.get("/explore", headers={"Accept-Language": "es"}).text
    assert "minutes ago" in english and "minutes ago" not in spanish
    assert "hace 1 minuto" in spanish


def test_the_cache_is_bounded(client: FlaskClient, app: Flask, alice: User, bob: User) -> None:
    cache = app.extensions["row_cache"]
    cache.size = 10
    client.get("/explore")
    assert 0 < len(cache) <= 10
    assert client.get("/explore").text.count('class="post ') == 25


def test_no_rows_are_remembered_in_debug_mode(tmp_path) -> None:  # noqa: ANN001
    from tests.conftest import make_app

    assert make_app(tmp_path, DEBUG=True).extensions["row_cache"].size == 0
    assert make_app(tmp_path).extensions["row_cache"].size == 5000
