"""login throttling and the audit log

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch table copy), so the search index triggers on users survive.
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('users', sa.Column('locked_until', sa.DateTime(), nullable=True))
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('target_name', sa.String(length=64), nullable=False),
        sa.Column('details', sa.String(length=500), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_audit_entries_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_audit_entries_account_newest', 'audit_entries', ['account_id', 'id'])
    op.create_index('ix_audit_entries_address_recent', 'audit_entries',
                    ['address', 'action', 'created_at'])


def downgrade():
    op.drop_index('ix_audit_entries_address_recent', table_name='audit_entries')
    op.drop_index('ix_audit_entries_account_newest', table_name='audit_entries')
    op.drop_table('audit_entries')
    # SQLite 3.35+ drops a column in place, keeping the table and its triggers.
    op.drop_column('users', 'locked_until')
    op.drop_column('users', 'failed_logins')
