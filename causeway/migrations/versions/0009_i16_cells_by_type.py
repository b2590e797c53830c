"""analytics cells (issue 16): index by attraction, type and day, so the exact support of a
report's few uncertain cells reads only the rows of their attractions and event types.

Revision ID: 0009_i16
Revises: 0008_i16
Create Date: 2026-12-03 15:55:00
"""
from alembic import op


revision = '0009_i16'
down_revision = '0008_i16'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_cells_attraction_day')
        batch_op.create_index('ix_analytics_cells_attraction_type_day', ['attraction_id', 'type', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_cells_attraction_type_day')
        batch_op.create_index('ix_analytics_cells_attraction_day', ['attraction_id', 'day'], unique=False)
