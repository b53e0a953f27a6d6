"""activity.head and activity.group_count: each group of the /activity page kept on its
latest activity

A group is a kind of activity on one post (or the follows) on one UTC day. The page read
every activity of its user to group them, so its cost grew with their history; it now reads
the heads through an index. services/activity.py keeps them as activity comes and goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 03:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

activity = sa.table(
    "activity",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("post_id", sa.Integer),
    sa.column("timestamp", sa.DateTime),
    sa.column("head", sa.Boolean),
    sa.column("group_count", sa.Integer),
)


def upgrade():
    op.add_column(
        "activity", sa.Column("head", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column(
        "activity", sa.Column("group_count", sa.Integer(), server_default="1", nullable=False)
    )
    group = (
        activity.c.user_id,
        activity.c.kind,
        activity.c.post_id,
        sa.func.date(activity.c.timestamp),
    )
    ranked = sa.select(
        activity.c.id,
        sa.func.row_number()
        .over(partition_by=group, order_by=(activity.c.timestamp.desc(), activity.c.id.desc()))
        .label("place"),
        sa.func.count().over(partition_by=group).label("size"),
    ).subquery()
    # Every row starts as the head of a group of one: write only the rows that differ.
    lead = ranked.c.place == 1
    op.execute(
        activity.update()
        .where(
            activity.c.id == ranked.c.id,
            sa.or_(sa.not_(lead), ranked.c.size != 1),
        )
        .values(head=lead, group_count=sa.case((lead, ranked.c.size), else_=1))
    )
    op.create_index(
        "ix_activity_user_id_head_timestamp_id",
        "activity",
        ["user_id", "head", "timestamp", "id"],
    )
    op.create_index(
        "ix_activity_group", "activity", ["user_id", "kind", "post_id", "head", "timestamp"]
    )


def downgrade():
    op.drop_index("ix_activity_group", table_name="activity")
    op.drop_index("ix_activity_user_id_head_timestamp_id", table_name="activity")
    # In place on SQLite too (3.35+), as 0011 does.
    with op.batch_alter_table("activity", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("group_count")
        batch_op.drop_column("head")
