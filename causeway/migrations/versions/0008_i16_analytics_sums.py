"""analytics sums (issue 16): the rollup cells without the visitor, per local day and month, in
four grouping sets, with each row's distinct visitors; visitors present per day and month.
The rollups are emptied and their watermark reset, so the worker (or `causeway analytics
backfill`) rebuilds all of them together; meanwhile `auto` reports read the raw events.

Revision ID: 0008_i16
Revises: 0007_i16
Create Date: 2026-12-03 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_i16'
down_revision = '0007_i16'
branch_labels = None
depends_on = None

ROLLUPS = ('analytics_cells', 'analytics_dwell', 'analytics_itineraries', 'analytics_itinerary_stops',
           'analytics_stops_done')


def upgrade() -> None:
    op.create_table('analytics_sums',
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('attraction_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('market', sa.String(length=8), nullable=False),
    sa.Column('hour', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('sim', sa.BigInteger(), nullable=False),
    sa.Column('v', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'bucket', 'attraction_id', 'type', 'market', 'hour')
    )
    with op.batch_alter_table('analytics_sums', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_sums_attraction', ['attraction_id', 'grain', 'bucket'], unique=False)
    op.create_table('analytics_presence',
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('grain', 'bucket', 'visitor_id')
    )
    with op.batch_alter_table('analytics_rollup_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sums_valid', sa.Boolean(), server_default=sa.true(), nullable=False))
    # Exact-support lookups by visitor, type and day (counting a chunk's visitors new to a sum).
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_cells_visitor')
        batch_op.create_index('ix_analytics_cells_visitor', ['visitor_id', 'type', 'day'], unique=False)
    for table in ROLLUPS:
        op.execute(f'DELETE FROM {table}')
    op.execute('UPDATE analytics_rollup_state SET last_event_id = 0')


def downgrade() -> None:
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_cells_visitor')
        batch_op.create_index('ix_analytics_cells_visitor', ['visitor_id'], unique=False)
    with op.batch_alter_table('analytics_rollup_state', schema=None) as batch_op:
        batch_op.drop_column('sums_valid')
    op.drop_table('analytics_presence')
    op.drop_table('analytics_sums')
