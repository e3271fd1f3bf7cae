"""fleet manager: terminal registry, config profiles, heartbeats, commands, audit, staff accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:19:52.004031
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "scope_key", "version", name="uq_profile_version"),
    )
    op.create_table(
        "fleet_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_audit", schema=None) as batch_op:
        batch_op.create_index("ix_audit_at", ["at"], unique=False)

    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "fleet_commands",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_commands", schema=None) as batch_op:
        batch_op.create_index("ix_commands_terminal_state", ["terminal_id", "state"], unique=False)

    op.create_table(
        "fleet_heartbeats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_heartbeats", schema=None) as batch_op:
        batch_op.create_index("ix_heartbeats_terminal_at", ["terminal_id", "received_at"], unique=False)

    op.create_table(
        "fleet_terminals",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_pin", sa.String(length=64), nullable=True),
        sa.Column("config_floor", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ip", sa.String(length=64), nullable=True),
        sa.Column("last_state", sa.JSON(), nullable=True),
        sa.Column("config_version_applied", sa.Integer(), nullable=True),
        sa.Column("history_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acc_sessions", sa.Integer(), nullable=False),
        sa.Column("acc_prints", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("terminal_id"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["staff_users.username"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_username"))

    op.drop_table("staff_sessions")
    op.drop_table("fleet_terminals")
    with op.batch_alter_table("fleet_heartbeats", schema=None) as batch_op:
        batch_op.drop_index("ix_heartbeats_terminal_at")

    op.drop_table("fleet_heartbeats")
    with op.batch_alter_table("fleet_commands", schema=None) as batch_op:
        batch_op.drop_index("ix_commands_terminal_state")

    op.drop_table("fleet_commands")
    op.drop_table("staff_users")
    with op.batch_alter_table("fleet_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_at")

    op.drop_table("fleet_audit")
    op.drop_table("config_profiles")
