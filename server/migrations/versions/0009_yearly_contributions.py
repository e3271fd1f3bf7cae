"""yearly contribution aggregates per person (filled in by the rights-statement work)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:40:00.000000
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
