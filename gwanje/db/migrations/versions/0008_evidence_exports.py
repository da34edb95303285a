"""evidence exports: packages made under grants

Hand-reviewed schema of gwanje/governance/models.py (EvidenceExport).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("range_start", UTCDateTime(), nullable=False),
        sa.Column("range_end", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("package", sa.String(length=256), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "state IN ('ready', 'recalled')", name=op.f("ck_evidence_exports_state_known")
        ),
        sa.CheckConstraint(
            "range_end > range_start", name=op.f("ck_evidence_exports_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grants.id"],
            name=op.f("fk_evidence_exports_grant_id_access_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_evidence_exports_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_evidence_exports_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_evidence_exports_created_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_exports")),
    )
    op.create_index(op.f("ix_evidence_exports_grant_id"), "evidence_exports", ["grant_id"])
    op.create_index(op.f("ix_evidence_exports_request_id"), "evidence_exports", ["request_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_exports_request_id"), table_name="evidence_exports")
    op.drop_index(op.f("ix_evidence_exports_grant_id"), table_name="evidence_exports")
    op.drop_table("evidence_exports")
