"""Full-text search on the database's own engine (SQLite FTS5, PostgreSQL GIN), in sync."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, update

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import posts as writing
from microblog.services import search


def found(text: str | None, page: object = 1) -> list[str]:
    result = search.posts(text, page)  # None: no words to look for
    return [] if result is None else [item.body for item in result.items]


@pytest.fixture
def bob(make_user) -> User:
    return make_user("bob")


def test_a_post_matches_when_it_has_every_word_whole_in_any_case(bob, make_post):
    make_post(bob, "Coffee with friends this morning")
    make_post(bob, "Reading a book about the city")
    make_post(bob, "Morning run, then COFFEE")
    assert sorted(found("coffee")) == [
        "Coffee with friends this morning",
        "Morning run, then COFFEE",
    ]
    assert found("morning FRIENDS") == ["Coffee with friends this morning"]
    assert found("coffee book") == []
    assert found("coff") == []  # whole words, not prefixes
    assert found("city, book!") == ["Reading a book about the city"]


def test_results_come_newest_first_and_are_paged(app, bob, make_post):
    now = utcnow()
    for n in reversed(range(30)):  # "tea number 0" is written last
        make_post(bob, f"tea number {n}", timestamp=now - timedelta(minutes=n))
    make_post(bob, "coffee only")
    first, second = search.posts("tea", 1), search.posts("tea", 2)
    assert [i.body for i in first.items] == [f"tea number {n}" for n in range(25)]
    assert first.has_next and not second.has_next
    assert [i.body for i in second.items] == [f"tea number {n}" for n in range(25, 30)]
    assert first.items[0].author.username == "bob"


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "'",
        "*",
        "tea*",
        "NEAR(tea coffee)",
        "tea OR coffee",
        "-tea",
        "body:tea",
        "^tea",
        "tea & coffee | !x",
        "'); DROP TABLE post; --",
        "(((",
        ":*",
        "\\",
        "%",
        "_",
    ],
)
def test_search_syntax_typed_by_a_user_is_only_words(bob, make_post, text):
    make_post(bob, "tea and coffee")
    bodies = found(text)  # never an error from the search engine
    words = search.terms(text)
    assert all(word.isalnum() or "_" in word for word in words)
    if words and set(words) <= {"tea", "coffee"}:
        assert bodies == ["tea and coffee"]
    assert found("tea") == ["tea and coffee"]  # the table and its index are intact


def test_no_words_finds_nothing_and_words_are_capped(bob, make_post):
    make_post(bob, "hello")
    assert found("") == found(None) == found("  ?!  ") == []
    assert len(search.terms(" ".join(f"w{n}" for n in range(50)))) == search.MAX_TERMS
    assert search.terms("Tea tea TEA coffee") == ["tea", "coffee"]


def test_unicode_words(bob, make_post):
    make_post(bob, "Un café en la playa, año nuevo")
    make_post(bob, "日本語 テキスト")
    assert found("CAFÉ") == ["Un café en la playa, año nuevo"]
    assert found("año") == ["Un café en la playa, año nuevo"]
    assert found("日本語") == ["日本語 テキスト"]


def test_index_follows_every_write_to_posts(app, bob, make_user, make_post):
    """New, edited, deleted posts, bulk inserts and an account deleted with its posts."""
    post = make_post(bob, "original words")
    writing.create(bob, "written through the service")
    assert found("service") == ["written through the service"]
    db.session.execute(update(Post).where(Post.id == post.id).values(body="edited text"))
    db.session.commit()
    assert found("original") == [] and found("edited") == ["edited text"]
    db.session.execute(insert(Post), [{"body": f"bulk {n}", "user_id": bob.id} for n in range(3)])
    db.session.commit()
    assert len(found("bulk")) == 3
    db.session.execute(delete(Post).where(Post.body == "bulk 0"))
    db.session.commit()
    assert sorted(found("bulk")) == ["bulk 1", "bulk 2"]
    carol = make_user("carol")
    make_post(carol, "carol says hi")
    db.session.execute(delete(User).where(User.id == carol.id))  # ON DELETE CASCADE
    db.session.commit()
    assert found("carol") == []


def test_reindex_rebuilds_from_the_posts(app, bob, make_post):
    make_post(bob, "kept after a rebuild")
    search.reindex()
    assert found("rebuild") == ["kept after a rebuild"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    assert found("kept") == ["kept after a rebuild"]
