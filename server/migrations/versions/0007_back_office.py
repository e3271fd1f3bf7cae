"""back office: resident facts, card suspension lapse and tracking, skill certificates, application
region/details/actor, the notification outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): on SQLite a batch would copy and drop ``persons``, and the
    # drop would cascade to every contribution, card and application of the database.
    op.add_column("persons", sa.Column("hukou_region", sa.String(length=6), nullable=True))
    op.add_column("persons", sa.Column("residence_permit_region", sa.String(length=6), nullable=True))
    op.add_column("persons", sa.Column("student", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("cards", sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("cards", sa.Column("tracking_number", sa.String(length=32), nullable=True))
    op.add_column("applications", sa.Column("region", sa.String(length=6), nullable=True))
    op.add_column("applications", sa.Column("details", sa.JSON(), nullable=True))
    op.create_index("ix_applications_region_status", "applications", ["region", "status"], unique=False)
    op.add_column("application_events", sa.Column("actor", sa.String(length=64), nullable=True))
    op.create_table(
        "skill_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("occupation", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_skill_certificates_person_id", "skill_certificates", ["person_id"], unique=False)
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_outbox_application_id", "notification_outbox", ["application_id"], unique=False)
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["state", "next_attempt_at"], unique=False)
    # Old kinds keep their rows under the new ids (the gateway reads both): 解挂 and 养老保险关系转移.
    op.execute("UPDATE applications SET kind = 'card_unsuspend' WHERE kind = 'card_resume'")
    op.execute("UPDATE applications SET kind = 'pension_transfer' WHERE kind = 'transfer'")


def downgrade() -> None:
    op.execute("UPDATE applications SET kind = 'card_resume' WHERE kind = 'card_unsuspend'")
    op.execute("UPDATE applications SET kind = 'transfer' WHERE kind = 'pension_transfer'")
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_index("ix_notification_outbox_application_id", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_skill_certificates_person_id", table_name="skill_certificates")
    op.drop_table("skill_certificates")
    # DROP COLUMN needs SQLite 3.35 (every supported Debian has it); no batch, for the reason above.
    op.drop_column("application_events", "actor")
    op.drop_index("ix_applications_region_status", table_name="applications")
    op.drop_column("applications", "details")
    op.drop_column("applications", "region")
    op.drop_column("cards", "tracking_number")
    op.drop_column("cards", "suspended_until")
    op.drop_column("persons", "student")
    op.drop_column("persons", "residence_permit_region")
    op.drop_column("persons", "hukou_region")
