"""fleet console: failed logins in the database, so the login rate limit holds across worker processes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_at", "fleet_login_failures", ["at"], unique=False)
    op.create_index("ix_login_failures_key_at", "fleet_login_failures", ["key", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failures_key_at", table_name="fleet_login_failures")
    op.drop_index("ix_login_failures_at", table_name="fleet_login_failures")
    op.drop_table("fleet_login_failures")
