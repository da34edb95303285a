"""notices: the notification outbox also carries notices of the protection workflows

A notification without an incident is a notice (`topic`: recall of provided copies,
ORD-28.3; a provided copy past its destruction date, ORD-31.2) about `ref_id`. Existing
rows are incident notifications (server default "incident").

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("topic", sa.String(length=16), nullable=False, server_default="incident")
        )
        batch_op.add_column(sa.Column("ref_id", sa.Integer(), nullable=True))
        batch_op.alter_column("incident_id", existing_type=sa.INTEGER(), nullable=True)


    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    op.execute("DELETE FROM notifications WHERE incident_id IS NULL")  # notices cannot stay
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("incident_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("ref_id")
        batch_op.drop_column("topic")
