"""people and authentication: posts, persons, appointments, role grants, pledges,
trainings, credentials, login sessions, API tokens

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["person_id"], ["persons.id"], name=f"fk_{table}_person_id_persons"
    )


def _department_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["department_id"], ["departments.id"], name=f"fk_{table}_department_id_departments"
    )


def _person_index(table: str) -> None:
    op.create_index(f"ix_{table}_person_id", table, ["person_id"])


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name_ko", sa.String(128), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("ex_officio_role", sa.String(32), nullable=True),
        sa.CheckConstraint(
            "ex_officio_role IS NULL OR ex_officio_role IN "
            "('privacy_officer', 'general_manager', 'operations_manager')",
            name="ck_posts_ex_officio_role",
        ),
        sa.CheckConstraint(
            "ex_officio_role IS NULL OR ex_officio_role != 'operations_manager' "
            "OR department_id IS NOT NULL",
            name="ck_posts_ops_manager_department",
        ),
        _department_fk("posts"),
        _pk("posts"),
        sa.UniqueConstraint("code", name="uq_posts_code"),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("organisation_kind", sa.String(16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.CheckConstraint(
            "organisation_kind IN ('city', 'police', 'contractor', 'other')",
            name="ck_persons_organisation_kind",
        ),
        sa.CheckConstraint("language IN ('ko', 'en')", name="ck_persons_language"),
        _department_fk("persons"),
        _pk("persons"),
        sa.UniqueConstraint("username", name="uq_persons_username"),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("appointed_by", sa.Integer(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        _person_fk("appointments"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name="fk_appointments_post_id_posts"),
        _pk("appointments"),
    )
    _person_index("appointments")
    op.create_index(
        "uq_appointments_one_holder",
        "appointments",
        ["post_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("camera_ids", sa.Text(), nullable=True),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('operator', 'police_liaison', 'approver', 'auditor', 'contractor', "
            "'system_admin')",
            name="ck_role_grants_direct_role",
        ),
        _person_fk("role_grants"),
        _department_fk("role_grants"),
        _pk("role_grants"),
    )
    _person_index("role_grants")
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=True),
        sa.Column("document_ref", sa.String(128), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _person_fk("pledges"),
        _pk("pledges"),
    )
    _person_index("pledges")
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("course", sa.String(128), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _person_fk("trainings"),
        _pk("trainings"),
    )
    _person_index("trainings")
    _create_auth_tables()


def _create_auth_tables() -> None:
    op.create_table(
        "credentials",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("totp_secret_enc", sa.Text(), nullable=True),
        sa.Column("totp_enabled_at", TS, nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        _person_fk("credentials"),
        sa.PrimaryKeyConstraint("person_id", name="pk_credentials"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(256), nullable=True),
        sa.Column("second_factor", sa.Boolean(), nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        _person_fk("login_sessions"),
        _pk("login_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_login_sessions_token_hash"),
    )
    _person_index("login_sessions")
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("last_used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        _person_fk("api_tokens"),
        _pk("api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    _person_index("api_tokens")


def downgrade() -> None:
    for table in (
        "api_tokens",
        "login_sessions",
        "credentials",
        "trainings",
        "pledges",
        "role_grants",
        "appointments",
        "persons",
        "posts",
    ):
        op.drop_table(table)
