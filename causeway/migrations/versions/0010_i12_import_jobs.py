"""import jobs (issue 12): an import's status (queued, running, done, failed), its error,
when it started and finished, and which process runs it. Existing imports are done.

Revision ID: 0010_i12
Revises: 0009_i16
Create Date: 2026-12-03 14:40:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0010_i12'
down_revision = '0009_i16'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('runner', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_import_runs_provider_status', ['provider_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_import_runs_provider_status')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('runner')
        batch_op.drop_column('error')
        batch_op.drop_column('status')
