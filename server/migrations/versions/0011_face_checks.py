"""face checks made inside an open session (face_checks), for 养老待遇资格认证 by face in its wizard

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_checks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["resident_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_face_checks_session_id"), "face_checks", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_face_checks_session_id"), table_name="face_checks")
    op.drop_table("face_checks")
