"""ticket reminders: when a maintenance ticket past its SLA was last reminded (ORD-12)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("maintenance_tickets", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
