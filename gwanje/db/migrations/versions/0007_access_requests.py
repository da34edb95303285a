"""access requests and grants (ORD-28, 30.2)

Hand-reviewed schema of gwanje/governance/models.py.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'submitted', 'approved', 'rejected', 'emergency_approved', 'recalled'"
BASES = "'consent', 'other_law', 'investigation', 'court', 'emergency'"
KINDS = "'view', 'copy', 'beyond_purpose'"
REQUESTERS = "'police', 'prosecutor', 'court', 'subject', 'department', 'other_agency'"


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_kind", sa.String(length=16), nullable=False),
        sa.Column("requester_org", sa.String(length=128), nullable=False),
        sa.Column("requester_name", sa.String(length=64), nullable=False),
        sa.Column("requester_contact", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("legal_basis", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("letter_no", sa.String(length=64), nullable=True),
        sa.Column("crime_type", sa.String(length=64), nullable=True),
        sa.Column("handler", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("followup_due_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_access_requests_state_known")),
        sa.CheckConstraint(
            f"legal_basis IN ({BASES})", name=op.f("ck_access_requests_basis_known")
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_access_requests_kind_known")),
        sa.CheckConstraint(
            f"requester_kind IN ({REQUESTERS})", name=op.f("ck_access_requests_requester_known")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_access_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_access_requests_created_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["persons.id"], name=op.f("fk_access_requests_decided_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index(op.f("ix_access_requests_state"), "access_requests", ["state"])
    op.create_index(
        op.f("ix_access_requests_followup_due_at"), "access_requests", ["followup_due_at"]
    )
    op.create_table(
        "access_request_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "end_at > start_at", name=op.f("ck_access_request_items_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_access_request_items_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_access_request_items_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_request_items")),
    )
    op.create_index(
        op.f("ix_access_request_items_request_id"), "access_request_items", ["request_id"]
    )
    op.create_index(
        op.f("ix_access_request_items_camera_id"), "access_request_items", ["camera_id"]
    )
    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("recalled_at", UTCDateTime(), nullable=True),
        sa.Column("recall_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'recalled')", name=op.f("ck_access_grants_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_access_grants_request_id_access_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
        sa.UniqueConstraint("request_id", name=op.f("uq_access_grants_request_id")),
    )
    op.create_index(op.f("ix_access_grants_state"), "access_grants", ["state"])
    op.create_table(
        "access_grant_people",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grants.id"],
            name=op.f("fk_access_grant_people_grant_id_access_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_access_grant_people_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("grant_id", "person_id", name=op.f("pk_access_grant_people")),
    )


def downgrade() -> None:
    op.drop_table("access_grant_people")
    op.drop_index(op.f("ix_access_grants_state"), table_name="access_grants")
    op.drop_table("access_grants")
    op.drop_index(op.f("ix_access_request_items_camera_id"), table_name="access_request_items")
    op.drop_index(op.f("ix_access_request_items_request_id"), table_name="access_request_items")
    op.drop_table("access_request_items")
    op.drop_index(op.f("ix_access_requests_followup_due_at"), table_name="access_requests")
    op.drop_index(op.f("ix_access_requests_state"), table_name="access_requests")
    op.drop_table("access_requests")
