"""ledger fields: the PIPA-5 city extensions as fields, not free text

Access requests get the requester's rank (직위·계급); provisions the recipient's rank and
contact, whether the recipient signed a security pledge, and whether an arrest resulted.
Existing rows get empty/false (server defaults), not guesses.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requester_rank", sa.String(length=64), nullable=False, server_default="")
        )

    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient_rank", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("recipient_contact", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("recipient_pledge", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("arrest", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.drop_column("arrest")
        batch_op.drop_column("recipient_pledge")
        batch_op.drop_column("recipient_contact")
        batch_op.drop_column("recipient_rank")

    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_column("requester_rank")
