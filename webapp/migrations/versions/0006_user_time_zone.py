"""users.time_zone: the zone a user reads times in

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch table copy), so the search index triggers on users survive.
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=False,
                                     server_default=''))


def downgrade():
    op.drop_column('users', 'time_zone')
