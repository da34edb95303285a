"""request attachments: documents (the official letter's PDF) attached to access requests

Hand-reviewed schema of gwanje/governance/models.py (RequestAttachment).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_request_attachments_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["persons.id"], name=op.f("fk_request_attachments_uploaded_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachments")),
        sa.UniqueConstraint("request_id", "sha256", name=op.f("uq_request_attachments_request_id")),
    )
    with op.batch_alter_table("request_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_attachments_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_attachments_request_id"))

    op.drop_table("request_attachments")
