"""indexes for sorting and filtering the users list and the Activity log

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_account_status_newest', 'users', ['account_id', 'status', 'id'])
    op.create_index('ix_users_account_name', 'users',
                    ['account_id', sa.text('lower(first_name)'), sa.text('lower(last_name)'),
                     'id'])
    op.create_index('ix_users_account_username', 'users',
                    ['account_id', sa.text('lower(username)'), 'id'])
    op.create_index('ix_users_account_email', 'users', ['account_id', 'email', 'id'])
    op.create_index('ix_audit_entries_account_actor', 'audit_entries',
                    ['account_id', 'actor_id', 'id'])
    op.create_index('ix_audit_entries_account_target', 'audit_entries',
                    ['account_id', 'target_id', 'id'])
    op.create_index('ix_audit_entries_account_action', 'audit_entries',
                    ['account_id', 'action', 'id'])


def downgrade():
    for table, name in [('audit_entries', 'ix_audit_entries_account_action'),
                        ('audit_entries', 'ix_audit_entries_account_target'),
                        ('audit_entries', 'ix_audit_entries_account_actor'),
                        ('users', 'ix_users_account_email'),
                        ('users', 'ix_users_account_username'),
                        ('users', 'ix_users_account_name'),
                        ('users', 'ix_users_account_status_newest')]:
        op.drop_index(name, table_name=table)
