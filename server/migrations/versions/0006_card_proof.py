"""card proof: single-use terminal-bound challenges, and per-terminal session-start / failed-proof events

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_challenges",
        sa.Column("challenge", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("challenge"),
    )
    op.create_index("ix_card_challenges_expires_at", "card_challenges", ["expires_at"], unique=False)
    op.create_table(
        "terminal_auth_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_terminal_auth_events_terminal_kind_at", "terminal_auth_events", ["terminal_id", "kind", "at"], unique=False
    )
    op.create_index("ix_terminal_auth_events_at", "terminal_auth_events", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_terminal_auth_events_at", table_name="terminal_auth_events")
    op.drop_index("ix_terminal_auth_events_terminal_kind_at", table_name="terminal_auth_events")
    op.drop_table("terminal_auth_events")
    op.drop_index("ix_card_challenges_expires_at", table_name="card_challenges")
    op.drop_table("card_challenges")
