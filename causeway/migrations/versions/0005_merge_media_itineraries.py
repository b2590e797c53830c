"""merge the media (0003) and itineraries (0004) branches into one head

Both were branched from 0002 by parallel work; with a single head again,
``causeway migrate --revision head`` and ``alembic downgrade -1`` mean one thing.

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-02 01:10:00
"""

revision = '0005'
down_revision = ('0003', '0004')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
