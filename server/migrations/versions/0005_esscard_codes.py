"""电子社保卡 sign-in codes: single use, 60 s, stored hashed, shared by every worker process

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "esscard_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("ssn", sa.String(length=18), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_index("ix_esscard_codes_expires_at", "esscard_codes", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_esscard_codes_expires_at", table_name="esscard_codes")
    op.drop_table("esscard_codes")
