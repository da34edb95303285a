"""provisions: delivery, result report and destruction of provided copies (ORD-31.2, 33)

Hand-reviewed schema of gwanje/governance/models.py (Provision).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METHODS = "'in_person', 'secure_download', 'official_mail', 'media'"


def upgrade() -> None:
    op.create_table(
        "provisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_by", sa.Integer(), nullable=True),
        sa.Column("destroy_by", UTCDateTime(), nullable=False),
        sa.Column("result_report", sa.Text(), nullable=False),
        sa.Column("result_at", UTCDateTime(), nullable=True),
        sa.Column("destroyed_at", UTCDateTime(), nullable=True),
        sa.Column("destruction_statement", sa.Text(), nullable=False),
        sa.CheckConstraint(f"method IN ({METHODS})", name=op.f("ck_provisions_method_known")),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["evidence_exports.id"],
            name=op.f("fk_provisions_export_id_evidence_exports"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_provisions_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["delivered_by"], ["persons.id"], name=op.f("fk_provisions_delivered_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisions")),
        sa.UniqueConstraint("export_id", name=op.f("uq_provisions_export_id")),
    )
    op.create_index(op.f("ix_provisions_request_id"), "provisions", ["request_id"])
    op.create_index(op.f("ix_provisions_destroy_by"), "provisions", ["destroy_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_provisions_destroy_by"), table_name="provisions")
    op.drop_index(op.f("ix_provisions_request_id"), table_name="provisions")
    op.drop_table("provisions")
