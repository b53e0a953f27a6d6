"""The database's query plan of a statement, as text, for tests that check which index a
list reads (SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's EXPLAIN lines)."""

from __future__ import annotations

from sqlalchemy import Executable, text

from microblog.database import is_sqlite
from microblog.extensions import db


def explain(statement: Executable, params: dict) -> str:
    """`statement`'s plan with `params` bound, one line a step. On PostgreSQL sequential
    scans are off for the transaction: a test's few rows would otherwise plan as a scan."""
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    if is_sqlite(connection):
        values = tuple(compiled.construct_params(params)[name] for name in compiled.positiontup)
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values).all()
        return "\n".join(row[-1] for row in rows)
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.construct_params(params))
    return "\n".join(row[0] for row in rows)
