"""software releases, their artefacts, rollouts to terminals and each terminal's update state
(server/fleet/release_models.py)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "software_releases",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "release_artefacts",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["software_releases.version"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "release_rollouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("canary_terminals", sa.JSON(), nullable=False),
        sa.Column("canary_regions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("halted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("halt_reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["software_releases.version"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "terminal_updates",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("terminal_id"),
    )


def downgrade() -> None:
    op.drop_table("terminal_updates")
    op.drop_table("release_rollouts")
    op.drop_table("release_artefacts")
    op.drop_table("software_releases")
