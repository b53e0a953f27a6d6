"""failed sign-ins per account and the delay they earn

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("login_delayed_until", sa.DateTime(), nullable=True))


def downgrade():
    # In place, never by copying the table (batch mode's way on SQLite): dropping the old
    # "user" table with foreign keys on would delete every row that refers to it. SQLite
    # drops a plain column itself since 3.35.
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("login_delayed_until")
        batch_op.drop_column("failed_logins")
