"""shares, peer centers, federation messages, delegations (issue 6; ORD-14.2, 17, 21, 23, 24)

Hand-reviewed schema of gwanje/sharing/models.py (column comments there). Chained after
0016; other branches of issue 6 chain their own numbers.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("base_url", sa.String(length=256), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("push_events", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("remote_cameras", sa.Text(), nullable=False),
        sa.Column("remote_fetched_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peers")),
        sa.UniqueConstraint("name", name=op.f("uq_peers_name")),
    )
    op.create_table(
        "federation_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_federation_nonces_peer_id_peers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_nonces")),
        sa.UniqueConstraint("peer_id", "nonce", name=op.f("uq_federation_nonces_peer_id")),
    )
    op.create_index(op.f("ix_federation_nonces_at"), "federation_nonces", ["at"], unique=False)
    op.create_table(
        "federation_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_federation_outbox_peer_id_peers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_outbox")),
    )
    op.create_index(
        op.f("ix_federation_outbox_peer_id"), "federation_outbox", ["peer_id"], unique=False
    )
    op.create_index(
        op.f("ix_federation_outbox_state"), "federation_outbox", ["state"], unique=False
    )
    op.create_table(
        "peer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_peer_events_peer_id_peers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_events")),
        sa.UniqueConstraint("peer_id", "event_id", name=op.f("uq_peer_events_peer_id")),
    )
    op.create_index(op.f("ix_peer_events_peer_id"), "peer_events", ["peer_id"], unique=False)
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=128), nullable=False),
        sa.Column("document_no", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_delegations_created_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    op.create_table(
        "peer_cameras",
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_peer_cameras_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_peer_cameras_peer_id_peers")
        ),
        sa.PrimaryKeyConstraint("peer_id", "camera_id", name=op.f("pk_peer_cameras")),
    )
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=128), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("recipient_kind", sa.String(length=8), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("watermark", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=12), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_shares_created_by_persons")
        ),
        sa.ForeignKeyConstraint(["peer_id"], ["peers.id"], name=op.f("fk_shares_peer_id_peers")),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["persons.id"], name=op.f("fk_shares_revoked_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_shares_token_hash")),
    )
    op.create_index(op.f("ix_shares_expires_at"), "shares", ["expires_at"], unique=False)
    op.create_table(
        "delegated_cameras",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_delegated_cameras_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_delegated_cameras_delegation_id_delegations"),
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_delegated_cameras")),
    )
    op.create_index(
        op.f("ix_delegated_cameras_delegation_id"),
        "delegated_cameras",
        ["delegation_id"],
        unique=False,
    )
    op.create_table(
        "share_cameras",
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_share_cameras_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["shares.id"], name=op.f("fk_share_cameras_share_id_shares")
        ),
        sa.PrimaryKeyConstraint("share_id", "camera_id", name=op.f("pk_share_cameras")),
    )
    op.create_table(
        "share_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("camera_codes", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=True),
        sa.Column("token_enc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["persons.id"], name=op.f("fk_share_requests_decided_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_share_requests_peer_id_peers")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["shares.id"], name=op.f("fk_share_requests_share_id_shares")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_requests")),
    )
    op.create_index(op.f("ix_share_requests_peer_id"), "share_requests", ["peer_id"], unique=False)
    op.create_index(op.f("ix_share_requests_state"), "share_requests", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_share_requests_state"), table_name="share_requests")
    op.drop_index(op.f("ix_share_requests_peer_id"), table_name="share_requests")
    op.drop_table("share_requests")
    op.drop_table("share_cameras")
    op.drop_index(op.f("ix_delegated_cameras_delegation_id"), table_name="delegated_cameras")
    op.drop_table("delegated_cameras")
    op.drop_index(op.f("ix_shares_expires_at"), table_name="shares")
    op.drop_table("shares")
    op.drop_table("peer_cameras")
    op.drop_table("delegations")
    op.drop_index(op.f("ix_peer_events_peer_id"), table_name="peer_events")
    op.drop_table("peer_events")
    op.drop_index(op.f("ix_federation_outbox_state"), table_name="federation_outbox")
    op.drop_index(op.f("ix_federation_outbox_peer_id"), table_name="federation_outbox")
    op.drop_table("federation_outbox")
    op.drop_index(op.f("ix_federation_nonces_at"), table_name="federation_nonces")
    op.drop_table("federation_nonces")
    op.drop_table("peers")
