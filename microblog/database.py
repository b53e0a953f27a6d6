"""Engine settings per database: SQLite gets WAL, a busy timeout and foreign keys.

The sqlite3 driver's default transaction handling is kept on purpose: reads run
outside a transaction and a transaction begins at the first write. A write so
never upgrades an old read snapshot (which fails at once with "database is
locked", ignoring the busy timeout); it waits for the lock instead.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from microblog.extensions import db

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never block the writer
    "PRAGMA synchronous=NORMAL",  # safe with WAL, far fewer fsyncs
    "PRAGMA busy_timeout=15000",  # wait for the write lock instead of failing
    "PRAGMA foreign_keys=ON",
)


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def upsert_insert(table: Table | type) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that takes `.on_conflict_do_nothing()` / `.on_conflict_do_update()`.

    Both supported databases have ON CONFLICT; each dialect has its own construct.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no INSERT .. ON CONFLICT on {dialect}")  # pragma: no cover
