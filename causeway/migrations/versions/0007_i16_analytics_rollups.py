"""analytics rollups (issue 16): counts per local day x hour x attraction x type x market x
simulated x visitor, dwell values, itineraries; the watermark row. Existing events are
aggregated by `causeway analytics backfill` (or, a chunk at a time, by the worker).

Revision ID: 0007_i16
Revises: 0006_i14
Create Date: 2026-12-03 08:18:02.988370
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_i16'
down_revision = '0006_i14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_cells',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('attraction_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('market', sa.String(length=8), nullable=False),
    sa.Column('simulated', sa.Boolean(), nullable=False),
    sa.Column('visitor_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'attraction_id', 'type', 'hour', 'market', 'simulated', 'visitor_id')
    )
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_cells_attraction_day', ['attraction_id', 'day'], unique=False)
        batch_op.create_index('ix_analytics_cells_visitor', ['visitor_id'], unique=False)

    op.create_table('analytics_dwell',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('attraction_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('visitor_id', sa.Integer(), nullable=False),
    sa.Column('simulated', sa.Boolean(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'attraction_id', 'seconds', 'visitor_id', 'simulated')
    )
    with op.batch_alter_table('analytics_dwell', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_dwell_visitor', ['visitor_id'], unique=False)

    op.create_table('analytics_itineraries',
    sa.Column('event_row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('itinerary_id', sa.String(length=64), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Float(), nullable=True),
    sa.Column('simulated', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('event_row_id')
    )
    with op.batch_alter_table('analytics_itineraries', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_itineraries_day', ['day'], unique=False)
        batch_op.create_index('ix_analytics_itineraries_visitor', ['visitor_id'], unique=False)

    op.create_table('analytics_itinerary_stops',
    sa.Column('event_row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('attraction_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_row_id', 'position')
    )
    op.create_table('analytics_rollup_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('analytics_stops_done',
    sa.Column('event_row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('itinerary_id', sa.String(length=64), nullable=True),
    sa.Column('attraction_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_row_id')
    )
    with op.batch_alter_table('analytics_stops_done', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_stops_done_day', ['day'], unique=False)
        batch_op.create_index('ix_analytics_stops_done_visitor', ['visitor_id'], unique=False)

    op.execute("INSERT INTO analytics_rollup_state (id, last_event_id) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table('analytics_stops_done', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_stops_done_visitor')
        batch_op.drop_index('ix_analytics_stops_done_day')

    op.drop_table('analytics_stops_done')
    op.drop_table('analytics_rollup_state')
    op.drop_table('analytics_itinerary_stops')
    with op.batch_alter_table('analytics_itineraries', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_itineraries_visitor')
        batch_op.drop_index('ix_analytics_itineraries_day')

    op.drop_table('analytics_itineraries')
    with op.batch_alter_table('analytics_dwell', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_dwell_visitor')

    op.drop_table('analytics_dwell')
    with op.batch_alter_table('analytics_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_cells_visitor')
        batch_op.drop_index('ix_analytics_cells_attraction_day')

    op.drop_table('analytics_cells')
