"""wall layouts: operators' saved video walls

Hand-reviewed schema of gwanje/console/models.py.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wall_layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("grid", sa.Integer(), nullable=False),
        sa.Column("tiles_json", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "grid IN (1, 4, 9, 16, 25, 36)", name=op.f("ck_wall_layouts_grid_known")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_wall_layouts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wall_layouts")),
        sa.UniqueConstraint("person_id", "name", name=op.f("uq_wall_layouts_person_id")),
    )
    op.create_index(op.f("ix_wall_layouts_person_id"), "wall_layouts", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wall_layouts_person_id"), table_name="wall_layouts")
    op.drop_table("wall_layouts")
