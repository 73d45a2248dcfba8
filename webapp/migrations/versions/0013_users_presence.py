"""users.presence and presence_seen_at: Online, Away or Offline, as an Agent or Supervisor
last set it, and when a page of theirs last said they were there; an index for the filter

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch table copy), so the search index triggers on users survive.
    # Everyone starts Offline.
    op.add_column('users', sa.Column('presence', sa.String(length=16), nullable=False,
                                     server_default='offline'))
    op.add_column('users', sa.Column('presence_seen_at', sa.DateTime(), nullable=True))
    op.create_index('ix_users_account_presence_newest', 'users',
                    ['account_id', 'presence', 'status', 'id'])


def downgrade():
    op.drop_index('ix_users_account_presence_newest', table_name='users')
    op.drop_column('users', 'presence_seen_at')
    op.drop_column('users', 'presence')
