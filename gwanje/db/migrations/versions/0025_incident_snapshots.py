"""incident snapshots; the timeline kind snapshot

Hand-reviewed schema of IncidentSnapshot in gwanje/operations/models.py (column comments
there; docs/design/incidents.md, "Snapshots"): stills of an incident's cameras, masks
burned in (ORD-26.1), kept with the incident.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-10 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'opened', 'note', 'camera_added', 'queued', 'sent', 'retry', 'failed', 'acknowledged', "
    "'escalated', 'closed', 'alarm', 'call', 'checklist'"
)


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_incident_snapshots_{column}_{target}")
    )


def _kinds(kinds: str) -> None:
    with op.batch_alter_table("incident_entries") as batch:
        batch.drop_constraint(op.f("ck_incident_entries_kind_known"), type_="check")
        batch.create_check_constraint("kind_known", f"kind IN ({kinds})")


def upgrade() -> None:
    _kinds(KINDS + ", 'snapshot'")
    op.create_table(
        "incident_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("frame_at", UTCDateTime(), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("masks", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('live', 'recorded')", name=op.f("ck_incident_snapshots_source_known")
        ),
        _fk("incident_id", "incidents"),
        _fk("camera_id", "cameras"),
        _fk("taken_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_snapshots")),
        sa.UniqueConstraint("incident_id", "n", name=op.f("uq_incident_snapshots_incident_id")),
    )
    op.create_index(
        op.f("ix_incident_snapshots_incident_id"), "incident_snapshots", ["incident_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_snapshots_incident_id"), table_name="incident_snapshots")
    op.drop_table("incident_snapshots")
    _kinds(KINDS)
