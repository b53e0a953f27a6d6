"""posts that change and converse: edits, replies, likes, mentions, activity

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Columns are added in place (no batch recreate of "post" on SQLite: that would drop the
# search triggers of 0003).


def _add_reference(table: str, column: str, target: str, on_delete: str) -> None:
    """A nullable column referring to `target`. SQLite cannot add a constraint to a table,
    but its ADD COLUMN takes an inline REFERENCES clause (the default being NULL)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER"
            f" CONSTRAINT fk_{table}_{column}_{target}"
            f' REFERENCES "{target}" (id) ON DELETE {on_delete}'
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(
        f"fk_{table}_{column}_{target}", table, target, [column], ["id"], ondelete=on_delete
    )


def upgrade():
    op.add_column("post", sa.Column("edited_at", sa.DateTime(), nullable=True))
    for column, target in (("reply_to_id", "post"), ("reply_to_user_id", "user")):
        _add_reference("post", column, target, "SET NULL")
    op.add_column(
        "post", sa.Column("like_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "post", sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("post", sa.Column("mentions", sa.String(length=140), nullable=True))
    op.create_index("ix_post_reply_to_id_timestamp", "post", ["reply_to_id", "timestamp"])
    op.add_column("user", sa.Column("activity_seen_at", sa.DateTime(), nullable=True))

    op.create_table(
        "post_like",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "user_id"),
    )
    op.create_index("ix_post_like_user_id", "post_like", ["user_id"])

    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activity_user_id_timestamp", "activity", ["user_id", "timestamp"])
    op.create_index("ix_activity_actor_id_kind", "activity", ["actor_id", "kind"])
    op.create_index("ix_activity_post_id", "activity", ["post_id"])


def downgrade():
    op.drop_table("activity")
    op.drop_table("post_like")
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("activity_seen_at")
    op.drop_index("ix_post_reply_to_id_timestamp", table_name="post")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_post_reply_to_user_id_user", "post", type_="foreignkey")
        op.drop_constraint("fk_post_reply_to_id_post", "post", type_="foreignkey")
    with op.batch_alter_table("post", schema=None, recreate="never") as batch_op:
        for name in (
            "mentions",
            "reply_count",
            "like_count",
            "reply_to_user_id",
            "reply_to_id",
            "edited_at",
        ):
            batch_op.drop_column(name)
