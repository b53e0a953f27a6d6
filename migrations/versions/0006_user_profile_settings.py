"""profile settings: the avatar's version and the reader's time zone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_version", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )


def downgrade():
    # SQLite drops the columns in place (3.35+): recreating "user" would DROP it, and with
    # foreign keys on that deletes every row that references a user.
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("avatar_version")
