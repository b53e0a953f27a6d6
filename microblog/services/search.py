"""Full-text search of posts, on the database's own engine.

- SQLite: an FTS5 table, `post_search`, indexes the post bodies ("external content": the
  text itself stays in `post`). Triggers on `post` add a new post to it, remove a deleted
  one and re-index an edited one.
- PostgreSQL: a GIN index on `to_tsvector('simple', body)`, kept current by PostgreSQL.

So "add to index" and "remove" happen in the database, for every way a post is written
or deleted: a view, `flask seed`'s bulk inserts, an account deleted with its posts by
ON DELETE CASCADE. `posts()` queries the index; `reindex()` rebuilds it.

A query is a list of words. A post matches when it contains every one of them, whole
and in any case (SQLite also ignores accents); results come newest first, in the order
the posts were written (by id). Nothing the user types is read as search syntax
(quotes, `*`, `OR`, `NEAR`...): only the words are kept.

The index is no model's: this module creates it with the `post` table
(`db.create_all()`), migration 0003 with the migrated schema, and `alembic_includes()`
keeps Alembic from dropping it. Alembic's SQLite "batch" mode copies a table to alter
it, which drops the table's triggers: a later migration that alters `post` on SQLite
must create them again and rebuild the index (the migration test searches at head).
"""

from __future__ import annotations

import re

from sqlalchemy import DDL, Table, bindparam, column, event, func, literal_column, select, table

from microblog.database import is_sqlite
from microblog.extensions import db
from microblog.models import Post
from microblog.services.listing import Item, Listing
from microblog.services.pagination import Page

MAX_TERMS = 10
WORD = re.compile(r"\w+")

FTS = "post_search"
GIN_INDEX = "ix_post_body_search"
# The trigger names start with the table's name, so alembic_includes() covers them too.
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS} USING fts5("
    "body, content='post', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON post BEGIN "
    f"INSERT INTO {FTS} (rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON post BEGIN "
    f"INSERT INTO {FTS} ({FTS}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF body ON post BEGIN "
    f"INSERT INTO {FTS} ({FTS}, rowid, body) VALUES ('delete', old.id, old.body); "
    f"INSERT INTO {FTS} (rowid, body) VALUES (new.id, new.body); END",
)
SQLITE_DROP = f"DROP TABLE IF EXISTS {FTS}"  # the triggers go with the post table
POSTGRESQL_DDL = f"CREATE INDEX {GIN_INDEX} ON post USING gin (to_tsvector('simple', body))"

_fts = table(FTS, column("rowid"), column(FTS))
_SIMPLE = literal_column("'simple'")  # a literal, so the query matches the index expression
# Newest first is highest id first: the index gives its matches in that order and a
# page stops after its rows, where sorting every match by time would read them all
# (two orders of magnitude on a common word: bench/RESULTS.md).
SQLITE = Listing(
    Post,
    ids=select(_fts.c.rowid)
    .where(_fts.c[FTS].op("MATCH")(bindparam("query")))
    .order_by(_fts.c.rowid.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset")),
)
POSTGRESQL = Listing(
    Post,
    ids=select(Post.id)
    .where(
        func.to_tsvector(_SIMPLE, Post.body).op("@@")(func.to_tsquery(_SIMPLE, bindparam("query")))
    )
    .order_by(Post.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset")),
)


def terms(text: str | None) -> list[str]:
    """The distinct words of `text`, lower-cased, at most MAX_TERMS of them."""
    words = dict.fromkeys(word.lower() for word in WORD.findall(text or ""))
    return list(words)[:MAX_TERMS]


def posts(text: str | None, page: object, reader_id: int = 0) -> Page[Item] | None:
    """Page `page` of the posts that contain every word of `text`, newest first; None
    when `text` has no word to look for. `reader_id`: whose likes the rows show."""
    words = terms(text)
    if not words:
        return None
    sqlite = is_sqlite(db.session.get_bind())
    listing = SQLITE if sqlite else POSTGRESQL
    return listing.page(page, reader_id=reader_id, query=_query(words, sqlite))


COUNT_MAX = 1000
_SQLITE_MATCHES = select(_fts.c.rowid).where(_fts.c[FTS].op("MATCH")(bindparam("query")))
_POSTGRESQL_MATCHES = select(Post.id).where(
    func.to_tsvector(_SIMPLE, Post.body).op("@@")(func.to_tsquery(_SIMPLE, bindparam("query")))
)


def count(text: str | None) -> int:
    """How many posts contain every word of `text`, counting up to COUNT_MAX + 1 (the
    page says "more than 1,000"): a common word need not be counted through the index."""
    words = terms(text)
    if not words:
        return 0
    sqlite = is_sqlite(db.session.get_bind())
    matches = _SQLITE_MATCHES if sqlite else _POSTGRESQL_MATCHES
    capped = matches.limit(COUNT_MAX + 1).subquery()
    return db.session.scalar(
        select(func.count()).select_from(capped), {"query": _query(words, sqlite)}
    )


def _query(words: list[str], sqlite: bool) -> str:
    """The engine's query for posts with every word, each quoted as a plain word."""
    if sqlite:  # FTS5 strings in double quotes: a word is only ever a word (\w has no quote)
        return " ".join(f'"{word}"' for word in words)
    return " & ".join(f"'{word}'" for word in words)


def reindex() -> None:
    """Rebuild the index from the posts table (after a restore, or a batch migration)."""
    if is_sqlite(db.session.get_bind()):
        db.session.connection().exec_driver_sql(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")
    else:
        db.session.connection().exec_driver_sql(f"REINDEX INDEX {GIN_INDEX}")
    db.session.commit()


def alembic_includes(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: False for the search objects, which no model describes."""
    return not (name or "").startswith((FTS, GIN_INDEX))


def _install(post_table: Table) -> None:
    """Create the index with the post table (`db.create_all()`), drop it with it."""
    for statement in SQLITE_DDL:
        event.listen(post_table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(post_table, "after_create", DDL(POSTGRESQL_DDL).execute_if(dialect="postgresql"))
    event.listen(post_table, "before_drop", DDL(SQLITE_DROP).execute_if(dialect="sqlite"))


_install(Post.__table__)
