"""visits: the visitor ledger of the controlled area (ORD-22.2, 22.4; PIPA-6)

Hand-reviewed schema of gwanje/ledgers/models.py (Visit).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'requested', 'approved', 'refused', 'checked_in', 'checked_out'"


def _person(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["persons.id"], name=op.f(f"fk_visits_{column}_persons")
    )


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("planned_at", UTCDateTime(), nullable=False),
        sa.Column("tour", sa.Boolean(), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("media_in", sa.Text(), nullable=False),
        sa.Column("media_out", sa.Text(), nullable=False),
        sa.Column("escort_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("checked_in_at", UTCDateTime(), nullable=True),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.Column("checked_out_at", UTCDateTime(), nullable=True),
        sa.Column("checked_out_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_visits_state_known")),
        sa.CheckConstraint("party_size >= 1", name=op.f("ck_visits_party_positive")),
        _person("escort_id"),
        _person("requested_by"),
        _person("decided_by"),
        _person("checked_in_by"),
        _person("checked_out_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_planned_at"), "visits", ["planned_at"])
    op.create_index(op.f("ix_visits_state"), "visits", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_visits_state"), table_name="visits")
    op.drop_index(op.f("ix_visits_planned_at"), table_name="visits")
    op.drop_table("visits")
