"""private messages as conversations: one row per (user, other), built from the messages

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The tables as this revision knows them (the backfill must not import today's models).
user = sa.table("user", sa.column("id"), sa.column("last_message_read_time"))
message = sa.table(
    "message",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("recipient_id"),
    sa.column("timestamp"),
)
COLUMNS = ("user_id", "other_id", "last_message_id", "timestamp", "unread", "unseen", "read_at")


def _backfill() -> sa.Select:
    """Each conversation's row from the messages, for both sides of every pair: its latest
    message, and what the course counted: messages newer than the user's last visit to
    /messages are unread (and unseen), older ones were read there (microblog/services/
    conversations.py `_rebuilt` computes the same)."""
    received = sa.select(
        message.c.recipient_id.label("user_id"),
        message.c.sender_id.label("other_id"),
        message.c.id.label("message_id"),
        message.c.timestamp.label("timestamp"),
        sa.literal(1).label("incoming"),
    )
    sent = sa.select(
        message.c.sender_id,
        message.c.recipient_id,
        message.c.id,
        message.c.timestamp,
        sa.literal(0),
    )
    sides = sa.union_all(received, sent).subquery()
    read_at = user.c.last_message_read_time
    stamp = sides.c.timestamp
    unread = (sides.c.incoming == 1) & (read_at.is_(None) | (stamp > read_at))
    pair = (sides.c.user_id, sides.c.other_id)
    ranked = (
        sa.select(
            sides.c.user_id,
            sides.c.other_id,
            sides.c.message_id,
            stamp,
            sa.func.sum(sa.case((unread, 1), else_=0)).over(partition_by=pair).label("unread"),
            read_at.label("read_at"),
            sa.func.row_number()
            .over(partition_by=pair, order_by=(stamp.desc(), sides.c.message_id.desc()))
            .label("rank"),
        )
        .join(user, user.c.id == sides.c.user_id)
        .subquery()
    )
    return sa.select(
        ranked.c.user_id,
        ranked.c.other_id,
        ranked.c.message_id,
        ranked.c.timestamp,
        ranked.c.unread,
        ranked.c.unread,  # unseen: the same, as the user's last visit is the read time
        ranked.c.read_at,
    ).where(ranked.c.rank == 1)


def upgrade():
    conversation = op.create_table(
        "conversation",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("unread", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unseen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["user.id"],
            name=op.f("fk_conversation_other_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_conversation_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "other_id", name=op.f("pk_conversation")),
    )
    op.create_index("ix_conversation_user_id_timestamp", "conversation", ["user_id", "timestamp"])
    op.create_index("ix_conversation_other_id", "conversation", ["other_id"])
    # One exchange, each way; it leads with sender_id, so the sender's own index goes.
    op.create_index(
        "ix_message_sender_id_recipient_id_timestamp",
        "message",
        ["sender_id", "recipient_id", "timestamp"],
    )
    op.drop_index("ix_message_sender_id", table_name="message")
    op.execute(conversation.insert().from_select(COLUMNS, _backfill()))


def downgrade():
    op.create_index("ix_message_sender_id", "message", ["sender_id"])
    op.drop_index("ix_message_sender_id_recipient_id_timestamp", table_name="message")
    op.drop_table("conversation")
