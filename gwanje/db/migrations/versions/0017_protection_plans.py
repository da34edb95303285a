"""protection plans: the privacy officer's protection and training plans (ORD-5.2)

Hand-reviewed schema of gwanje/governance/models.py (PlanVersion).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('protection', 'training')", name=op.f("ck_plan_versions_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["persons.id"], name=op.f("fk_plan_versions_author_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("kind", "year", "version", name=op.f("uq_plan_versions_kind")),
    )


def downgrade() -> None:
    op.drop_table("plan_versions")
