"""emergency bell calls, response manuals and checklists; new timeline kinds; the bell
gateway role

Hand-reviewed schema of gwanje/operations/bells_models.py (ORD-2.7, 10.2, 18.2): the
incident timeline learns the kinds alarm, call and checklist, and role_grants the direct
role bell_gateway (a gateway's system account, gwanje/auth/permissions.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'opened', 'note', 'camera_added', 'queued', 'sent', 'retry', 'failed', 'acknowledged', "
    "'escalated', 'closed'"
)
NEW_KINDS = ", 'alarm', 'call', 'checklist'"
ROLES = "'operator', 'police_liaison', 'approver', 'auditor', 'contractor', 'system_admin'"
TYPES = "'crime', 'traffic_accident', 'fire', 'disaster', 'missing_person', 'other'"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


# 0003 named the role check "ck_role_grants_direct_role" literally, so the naming
# convention made it ck_role_grants_ck_role_grants_direct_role; upgrading gives it the
# name the model implies, downgrading gives the old one back.
OLD_ROLE_CHECK = "ck_role_grants_ck_role_grants_direct_role"
ROLE_CHECK = "ck_role_grants_direct_role"


def _checks(kinds: str, roles: str, drop_role_check: str, role_check: str) -> None:
    with op.batch_alter_table("incident_entries") as batch:
        batch.drop_constraint(op.f("ck_incident_entries_kind_known"), type_="check")
        batch.create_check_constraint("kind_known", f"kind IN ({kinds})")
    with op.batch_alter_table("role_grants") as batch:
        batch.drop_constraint(op.f(drop_role_check), type_="check")
        batch.create_check_constraint(op.f(role_check), f"role IN ({roles})")


def upgrade() -> None:
    _checks(KINDS + NEW_KINDS, ROLES + ", 'bell_gateway'", OLD_ROLE_CHECK, ROLE_CHECK)
    _bell_calls()
    op.create_table(
        "manual_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_type", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"incident_type IN ({TYPES})", name=op.f("ck_manual_versions_type_known")),
        _fk("manual_versions", "author_id", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_versions")),
        sa.UniqueConstraint(
            "incident_type", "version", name=op.f("uq_manual_versions_incident_type")
        ),
    )  # fmt: skip
    op.create_table(
        "incident_manuals",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("manual_version_id", sa.Integer(), nullable=False),
        _fk("incident_manuals", "incident_id", "incidents"),
        _fk("incident_manuals", "manual_version_id", "manual_versions"),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_manuals")),
    )
    op.create_table(
        "checklist_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("manual_version_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("ticked_at", UTCDateTime(), nullable=False),
        sa.Column("ticked_by", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        _fk("checklist_ticks", "incident_id", "incidents"),
        _fk("checklist_ticks", "manual_version_id", "manual_versions"),
        _fk("checklist_ticks", "ticked_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_ticks")),
        sa.UniqueConstraint("incident_id", "step", name=op.f("uq_checklist_ticks_incident_id")),
    )
    op.create_index(op.f("ix_checklist_ticks_incident_id"), "checklist_ticks", ["incident_id"])


def _bell_calls() -> None:
    op.create_table(
        "bell_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bell_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("pressed_at", UTCDateTime(), nullable=False),
        sa.Column("last_press_at", UTCDateTime(), nullable=False),
        sa.Column("presses", sa.Integer(), nullable=False),
        sa.Column("alarm_acked_at", UTCDateTime(), nullable=True),
        sa.Column("alarm_acked_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('ringing', 'connected', 'ended')", name=op.f("ck_bell_calls_state_known")
        ),
        sa.CheckConstraint("via IN ('http', 'mqtt')", name=op.f("ck_bell_calls_via_known")),
        _fk("bell_calls", "bell_id", "emergency_bells"),
        _fk("bell_calls", "incident_id", "incidents"),
        _fk("bell_calls", "camera_id", "cameras"),
        _fk("bell_calls", "alarm_acked_by", "persons"),
        _fk("bell_calls", "answered_by", "persons"),
        _fk("bell_calls", "ended_by", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bell_calls")),
    )
    for column in ("bell_id", "incident_id", "pressed_at", "state"):
        op.create_index(op.f(f"ix_bell_calls_{column}"), "bell_calls", [column])


def downgrade() -> None:
    op.drop_index(op.f("ix_checklist_ticks_incident_id"), table_name="checklist_ticks")
    op.drop_table("checklist_ticks")
    op.drop_table("incident_manuals")
    op.drop_table("manual_versions")
    for column in ("bell_id", "incident_id", "pressed_at", "state"):
        op.drop_index(op.f(f"ix_bell_calls_{column}"), table_name="bell_calls")
    op.drop_table("bell_calls")
    _checks(KINDS, ROLES, ROLE_CHECK, OLD_ROLE_CHECK)
