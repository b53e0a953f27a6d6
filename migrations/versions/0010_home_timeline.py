"""post (user_id, timestamp, id) index, in place of post (user_id, timestamp)

The home of a reader who follows few accounts reads each author's posts from this index
(microblog/services/feed.py). On PostgreSQL an index without the id left the cursor's
`(timestamp, id) < (...)` and the id tie-break to the table rows: a bitmap scan fetched
every post of every followed author from the heap. With the id in it, the page's ids come
from the index alone, as they already did on SQLite (whose indexes carry the rowid). It
serves everything the old index did (profiles too), so the old one goes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain index operations: a batch recreate of "post" on SQLite would drop the search
# triggers of 0003 (see 0007).
def upgrade():
    op.create_index("ix_post_user_id_timestamp_id", "post", ["user_id", "timestamp", "id"])
    op.drop_index("ix_post_user_id_timestamp", table_name="post")


def downgrade():
    op.create_index("ix_post_user_id_timestamp", "post", ["user_id", "timestamp"])
    op.drop_index("ix_post_user_id_timestamp_id", table_name="post")
