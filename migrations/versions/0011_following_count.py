"""user.following_count: how many accounts each user follows, counted once here

The home timeline is read by author or by time depending on it (microblog/services/
feed.py); kept in the column, the choice costs no statement on a page or a poll.
services/follows.py keeps it with each follow and unfollow, in the same transaction.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 00:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

user = sa.table("user", sa.column("id", sa.Integer), sa.column("following_count", sa.Integer))
followers = sa.table("followers", sa.column("follower_id", sa.Integer))


def upgrade():
    op.add_column(
        "user",
        sa.Column("following_count", sa.Integer(), server_default="0", nullable=False),
    )
    counted = (
        sa.select(sa.func.count()).where(followers.c.follower_id == user.c.id).scalar_subquery()
    )
    op.execute(user.update().values(following_count=counted))


def downgrade():
    # ALTER TABLE … DROP COLUMN on SQLite too (3.35+): a recreated "user" would lose what
    # other tables' references hang on.
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("following_count")
