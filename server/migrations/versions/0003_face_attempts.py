"""face verification: failed attempts per resident per day (daily lock of face sign-in)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_attempts",
        sa.Column("ssn", sa.String(length=18), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ssn", "day"),
    )


def downgrade() -> None:
    op.drop_table("face_attempts")
