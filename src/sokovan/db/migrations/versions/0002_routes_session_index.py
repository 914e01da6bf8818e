"""index routes by session

The scheduling snapshot looks up each pending session's route, and deleting a session sets
its routes' session_id to NULL: both scan every route without this index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routes_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_session_id"))
