"""maintenance tickets, camera maintainers, contractor members; image health states

Hand-reviewed schema of gwanje/camhealth/models.py (ORD-11, ORD-12), and the image-check
states added to camera_health's closed list (gwanje/media/kinds.py HealthState).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDER_STATES = "'online', 'offline', 'video_loss', 'no_keyframes'"
IMAGE_STATES = "'image_ok', 'black', 'covered', 'frozen', 'defocused', 'scene_changed'"
KINDS = (
    "'black', 'covered', 'frozen', 'defocused', 'scene_changed', 'offline', 'video_loss', "
    "'no_keyframes', 'other'"
)
STATES = "'open', 'acknowledged', 'in_progress', 'resolved', 'closed'"
UNCLOSED = sa.text("state <> 'closed' AND kind <> 'other'")


def _health_states(states: str) -> None:
    with op.batch_alter_table("camera_health") as batch:
        batch.drop_constraint(op.f("ck_camera_health_state_known"), type_="check")
        batch.create_check_constraint("state_known", f"state IN ({states})")


def upgrade() -> None:
    _health_states(f"{RECORDER_STATES}, {IMAGE_STATES}")
    op.create_table(
        "camera_maintainers",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_camera_maintainers_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"],
            name=op.f("fk_camera_maintainers_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_maintainers")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_camera_maintainers_contractor_id"), "camera_maintainers", ["contractor_id"]
    )
    op.create_table(
        "contractor_members",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_contractor_members_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"],
            name=op.f("fk_contractor_members_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_contractor_members")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_contractor_members_contractor_id"), "contractor_members", ["contractor_id"]
    )
    op.create_table(
        "maintenance_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("last_occurred_at", UTCDateTime(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("maintenance_record_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_maintenance_tickets_kind_known")),
        sa.CheckConstraint(
            "severity IN ('critical', 'major', 'minor')",
            name=op.f("ck_maintenance_tickets_severity_known"),
        ),
        sa.CheckConstraint(
            f"state IN ({STATES})", name=op.f("ck_maintenance_tickets_state_known")
        ),
        sa.CheckConstraint(
            "source IN ('image', 'recorder', 'staff')",
            name=op.f("ck_maintenance_tickets_source_known"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_maintenance_tickets_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.id"],
            name=op.f("fk_maintenance_tickets_contractor_id_contractors"),
        ),
        sa.ForeignKeyConstraint(
            ["maintenance_record_id"], ["camera_maintenance.id"],
            name=op.f("fk_maintenance_tickets_maintenance_record_id_camera_maintenance"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_tickets")),
    )  # fmt: skip
    op.create_index(op.f("ix_maintenance_tickets_camera_id"), "maintenance_tickets", ["camera_id"])
    op.create_index(op.f("ix_maintenance_tickets_state"), "maintenance_tickets", ["state"])
    op.create_index(
        op.f("ix_maintenance_tickets_contractor_id"), "maintenance_tickets", ["contractor_id"]
    )
    op.create_index(
        "uq_maintenance_tickets_one_unclosed", "maintenance_tickets", ["camera_id", "kind"],
        unique=True, sqlite_where=UNCLOSED, postgresql_where=UNCLOSED,
    )  # fmt: skip
    op.create_table(
        "maintenance_ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["maintenance_tickets.id"],
            name=op.f("fk_maintenance_ticket_events_ticket_id_maintenance_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_ticket_events")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_maintenance_ticket_events_ticket_id"), "maintenance_ticket_events", ["ticket_id"]
    )


def downgrade() -> None:
    op.drop_table("maintenance_ticket_events")
    op.drop_index("uq_maintenance_tickets_one_unclosed", table_name="maintenance_tickets")
    op.drop_table("maintenance_tickets")
    op.drop_table("contractor_members")
    op.drop_table("camera_maintainers")
    op.execute(f"DELETE FROM camera_health WHERE state IN ({IMAGE_STATES})")
    _health_states(RECORDER_STATES)
