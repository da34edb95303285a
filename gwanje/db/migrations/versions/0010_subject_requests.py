"""data-subject requests (ORD-29, PIPA-4)

Hand-reviewed schema of gwanje/governance/subjects/models.py.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'existence', 'viewing', 'correction', 'deletion'"
STATES = "'received', 'verified', 'postponed', 'granted', 'released', 'refused', 'closed'"
GROUNDS = "'investigation', 'deletion_infeasible', 'others_privacy', 'public_interest'"
NOTICES = "'status_page', 'in_person', 'mail', 'email', 'phone'"
T = "subject_requests"


def _check(sql: str, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{T}_{name}"))


def _person(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["persons.id"], name=op.f(f"fk_{T}_{column}_persons"))


def upgrade() -> None:
    who = ("created_by", "identity_verified_by", "decided_by", "released_by", "closed_by")
    op.create_table(
        T,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("applicant_name", sa.String(length=64), nullable=False),
        sa.Column("applicant_birth", sa.String(length=10), nullable=False),
        sa.Column("applicant_contact", sa.String(length=128), nullable=False),
        sa.Column("applicant_address", sa.String(length=256), nullable=False),
        sa.Column("agent", sa.Boolean(), nullable=False),
        sa.Column("subject_name", sa.String(length=64), nullable=False),
        sa.Column("vehicle_no", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("overdue_alarmed_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("identity_docs", sa.String(length=128), nullable=False),
        sa.Column("identity_note", sa.Text(), nullable=False),
        sa.Column("identity_verified_by", sa.Integer(), nullable=True),
        sa.Column("identity_verified_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("grant_mode", sa.String(length=8), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("refusal_ground", sa.String(length=24), nullable=True),
        sa.Column("appeal", sa.Text(), nullable=False),
        sa.Column("notice_method", sa.String(length=16), nullable=True),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("release_package", sa.String(length=128), nullable=True),
        sa.Column("release_sha256", sa.String(length=64), nullable=True),
        sa.Column("masking_cost_won", sa.Integer(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        _check(f"kind IN ({KINDS})", "kind_known"),
        _check(f"state IN ({STATES})", "state_known"),
        _check("channel IN ('public', 'staff')", "channel_known"),
        _check("route IN ('standard', 'review')", "route_known"),
        _check("grant_mode IS NULL OR grant_mode IN ('view', 'copy')", "mode_known"),
        _check(f"refusal_ground IS NULL OR refusal_ground IN ({GROUNDS})", "ground_known"),
        _check(f"notice_method IS NULL OR notice_method IN ({NOTICES})", "notice_known"),
        _check("masking_cost_won IS NULL OR masking_cost_won >= 0", "cost_positive"),
        *(_person(column) for column in who),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{T}")),
        sa.UniqueConstraint("receipt_no", name=op.f(f"uq_{T}_receipt_no")),
    )
    op.create_index(op.f(f"ix_{T}_state"), T, ["state"])
    op.create_index(op.f(f"ix_{T}_due_at"), T, ["due_at"])
    _child("subject_request_places", sa.Column("place", sa.String(length=256), nullable=False))
    _child(
        "subject_request_items",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_subject_request_items_camera_id_cameras")
        ),
    )
    op.create_index(
        op.f("ix_subject_request_items_camera_id"), "subject_request_items", ["camera_id"]
    )
    op.create_table(
        "subject_request_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _request_fk("subject_request_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_steps")),
    )
    op.create_index(
        op.f("ix_subject_request_steps_request_id"), "subject_request_steps", ["request_id"]
    )


def _request_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"], [f"{T}.id"], name=op.f(f"fk_{table}_request_id_{T}")
    )


def _child(table: str, *extra: sa.Column[object] | sa.ForeignKeyConstraint) -> None:
    """A table of (request, time range, ...) rows: places named and cameras resolved."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        *extra,
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f(f"ck_{table}_ends_after_start")),
        _request_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_request_id"), table, ["request_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_request_steps_request_id"), table_name="subject_request_steps")
    op.drop_table("subject_request_steps")
    op.drop_index(op.f("ix_subject_request_items_camera_id"), table_name="subject_request_items")
    for table in ("subject_request_items", "subject_request_places"):
        op.drop_index(op.f(f"ix_{table}_request_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f(f"ix_{T}_due_at"), table_name=T)
    op.drop_index(op.f(f"ix_{T}_state"), table_name=T)
    op.drop_table(T)
