"""shifts: roster (staff kinds, teams), patterns, slots, duties, swaps, purpose
assignments, handovers, tour mode

Hand-reviewed schema of gwanje/shifts/models.py (ORD-19, 20.1, 20.3, 22.3, 22.4;
docs/design/shifts.md). The tour-mode row is created on first use, not here.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shift_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("shifts", sa.Text(), nullable=False),
        sa.Column("cycle", sa.Text(), nullable=False),
        sa.Column("offsets", sa.Text(), nullable=False),
        sa.Column("anchor", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_patterns")),
        sa.UniqueConstraint("code", name=op.f("uq_shift_patterns_code")),
    )
    op.create_table(
        "shift_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_shift_teams_code")),
    )
    op.create_table(
        "shift_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("shift_code", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pattern_id"],
            ["shift_patterns.id"],
            name=op.f("fk_shift_slots_pattern_id_shift_patterns"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["shift_teams.id"], name=op.f("fk_shift_slots_team_id_shift_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_slots")),
        sa.UniqueConstraint(
            "pattern_id", "day", "shift_code", name=op.f("uq_shift_slots_pattern_id")
        ),
    )
    with op.batch_alter_table("shift_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_slots_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_slots_end_at"), ["end_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_slots_start_at"), ["start_at"], unique=False)

    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_slot_id", sa.Integer(), nullable=False),
        sa.Column("to_slot_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("open_incidents", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("outgoing_by", sa.Integer(), nullable=True),
        sa.Column("outgoing_at", UTCDateTime(), nullable=True),
        sa.Column("incoming_by", sa.Integer(), nullable=True),
        sa.Column("incoming_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'outgoing_signed', 'complete')",
            name=op.f("ck_handovers_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_handovers_created_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["from_slot_id"], ["shift_slots.id"], name=op.f("fk_handovers_from_slot_id_shift_slots")
        ),
        sa.ForeignKeyConstraint(
            ["incoming_by"], ["persons.id"], name=op.f("fk_handovers_incoming_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["outgoing_by"], ["persons.id"], name=op.f("fk_handovers_outgoing_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["to_slot_id"], ["shift_slots.id"], name=op.f("fk_handovers_to_slot_id_shift_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
        sa.UniqueConstraint("from_slot_id", name=op.f("uq_handovers_from_slot_id")),
    )
    op.create_table(
        "purpose_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["persons.id"], name=op.f("fk_purpose_assignments_assigned_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_purpose_assignments_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_purpose_assignments_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["shift_slots.id"], name=op.f("fk_purpose_assignments_slot_id_shift_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purpose_assignments")),
    )
    with op.batch_alter_table("purpose_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purpose_assignments_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purpose_assignments_slot_id"), ["slot_id"], unique=False
        )

    op.create_table(
        "shift_duties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_shift_duties_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["shift_slots.id"], name=op.f("fk_shift_duties_slot_id_shift_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_duties")),
        sa.UniqueConstraint("slot_id", "person_id", name=op.f("uq_shift_duties_slot_id")),
    )
    with op.batch_alter_table("shift_duties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_duties_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_duties_slot_id"), ["slot_id"], unique=False)

    op.create_table(
        "shift_swaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("out_person_id", sa.Integer(), nullable=False),
        sa.Column("in_person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["in_person_id"], ["persons.id"], name=op.f("fk_shift_swaps_in_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["out_person_id"], ["persons.id"], name=op.f("fk_shift_swaps_out_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["persons.id"], name=op.f("fk_shift_swaps_recorded_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["shift_slots.id"], name=op.f("fk_shift_swaps_slot_id_shift_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_swaps")),
    )
    with op.batch_alter_table("shift_swaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_swaps_slot_id"), ["slot_id"], unique=False)

    op.create_table(
        "staff",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('civil_servant', 'police_officer', 'professional_operator')",
            name=op.f("ck_staff_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_staff_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["shift_teams.id"], name=op.f("fk_staff_team_id_shift_teams")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_staff")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_team_id"), ["team_id"], unique=False)

    op.create_table(
        "tour_mode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["persons.id"], name=op.f("fk_tour_mode_changed_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_tour_mode_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_mode")),
    )


def downgrade() -> None:
    op.drop_table("tour_mode")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_team_id"))

    op.drop_table("staff")
    with op.batch_alter_table("shift_swaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_swaps_slot_id"))

    op.drop_table("shift_swaps")
    with op.batch_alter_table("shift_duties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_duties_slot_id"))
        batch_op.drop_index(batch_op.f("ix_shift_duties_person_id"))

    op.drop_table("shift_duties")
    with op.batch_alter_table("purpose_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purpose_assignments_slot_id"))
        batch_op.drop_index(batch_op.f("ix_purpose_assignments_person_id"))

    op.drop_table("purpose_assignments")
    op.drop_table("handovers")
    with op.batch_alter_table("shift_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_slots_start_at"))
        batch_op.drop_index(batch_op.f("ix_shift_slots_end_at"))
        batch_op.drop_index(batch_op.f("ix_shift_slots_day"))

    op.drop_table("shift_slots")
    op.drop_table("shift_teams")
    op.drop_table("shift_patterns")
