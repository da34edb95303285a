"""management_rows, ledger_cursors: the management ledger projected from the audit ledger
(ORD-33, PIPA-5)

Hand-reviewed schema of gwanje/ledgers/models.py (ManagementRow, LedgerCursor). Derived
data: dropping these tables loses nothing (the projection is rebuilt from audit_entries).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 00:00:01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEXED = ("kind", "first_seq", "occurred_at", "camera_id", "request_id")


def upgrade() -> None:
    op.create_table(
        "management_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("first_seq", SEQ, nullable=False),
        sa.Column("last_seq", SEQ, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("range_start", UTCDateTime(), nullable=True),
        sa.Column("range_end", UTCDateTime(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("export_id", sa.Integer(), nullable=True),
        sa.Column("provision_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("first_file", sa.Text(), nullable=False),
        sa.Column("last_file", sa.Text(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "kind IN ('use', 'provide', 'view', 'destroy')",
            name=op.f("ck_management_rows_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_rows")),
    )
    for column in INDEXED:
        op.create_index(op.f(f"ix_management_rows_{column}"), "management_rows", [column])
    op.create_index(
        "ix_management_rows_summary", "management_rows", ["source", "day", "camera_id", "rule"]
    )
    op.create_table(
        "ledger_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ledger_cursors")),
    )


def downgrade() -> None:
    op.drop_table("ledger_cursors")
    op.drop_index("ix_management_rows_summary", table_name="management_rows")
    for column in INDEXED:
        op.drop_index(op.f(f"ix_management_rows_{column}"), table_name="management_rows")
    op.drop_table("management_rows")
