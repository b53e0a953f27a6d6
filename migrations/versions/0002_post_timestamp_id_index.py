"""post (timestamp, id) index, in place of post (timestamp)

Every timeline orders by timestamp, then id. On PostgreSQL an index on timestamp alone
leaves the id tie-break to the table rows, so deep explore pages fetched thousands of
heap rows; with (timestamp, id) the page's ids come from the index alone, as they already
did on SQLite (whose timestamp index carries the rowid). The new index serves everything
the old one did, so the old one goes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index("ix_post_timestamp_id", ["timestamp", "id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_post_timestamp"))


def downgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_timestamp"), ["timestamp"], unique=False)
        batch_op.drop_index("ix_post_timestamp_id")
