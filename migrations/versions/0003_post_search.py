"""full-text search of posts: SQLite FTS5 with triggers, a PostgreSQL GIN index

The statements are a copy of `microblog.services.search`'s as they stood for this
revision: a migration must not change when the app's code does later.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE post_search USING fts5(body, content='post', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN"
    " INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN INSERT INTO post_search"
    " (post_search, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER post_search_update AFTER UPDATE OF body ON post BEGIN INSERT INTO"
    " post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO post_search (rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO post_search (post_search) VALUES ('rebuild')",  # the posts already there
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.execute(
            "CREATE INDEX ix_post_body_search ON post USING gin (to_tsvector('simple', body))"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER post_search_{trigger}")
        op.execute("DROP TABLE post_search")
    else:
        op.execute("DROP INDEX ix_post_body_search")
