"""ledger subject releases: masked clips released to data subjects are provisions (ORD-33)

Adds management_rows.subject_request_id and empties the projection so the next read
rebuilds it from the audit ledger (the rows are derived; the audit ledger is the
evidence), picking up releases already made.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("management_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_request_id", sa.Integer(), nullable=True))
    op.execute("DELETE FROM management_rows")
    op.execute("UPDATE ledger_cursors SET seq = 0")


def downgrade() -> None:
    with op.batch_alter_table("management_rows", schema=None) as batch_op:
        batch_op.drop_column("subject_request_id")
