"""submission keys: one post or message per form, however often it is sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Columns are added and dropped in place, and the uniqueness is an index: a batch recreate
# of "post" on SQLite would drop the search triggers of 0003 (and, with foreign keys on, a
# DROP TABLE deletes the rows that refer to it).
TABLES = (("post", "user_id"), ("message", "sender_id"))


def upgrade():
    for table, author in TABLES:
        op.add_column(table, sa.Column("submission_key", sa.String(length=32), nullable=True))
        op.create_index(
            f"ix_{table}_{author}_submission_key",
            table,
            [author, "submission_key"],
            unique=True,
        )


def downgrade():
    for table, author in TABLES:
        op.drop_index(f"ix_{table}_{author}_submission_key", table_name=table)
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("submission_key")
