"""login attempts, counted before their password is checked

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_login_attempts_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_login_attempts_address_started', 'login_attempts',
                    ['address', 'started_at'])
    op.create_index('ix_login_attempts_user_outcome', 'login_attempts', ['user_id', 'outcome'])
    op.create_index('ix_login_attempts_started', 'login_attempts', ['started_at'])
    # The per-address limit now counts login_attempts, not the audit log.
    op.drop_index('ix_audit_entries_address_recent', table_name='audit_entries')


def downgrade():
    op.create_index('ix_audit_entries_address_recent', 'audit_entries',
                    ['address', 'action', 'created_at'])
    op.drop_index('ix_login_attempts_started', table_name='login_attempts')
    op.drop_index('ix_login_attempts_user_outcome', table_name='login_attempts')
    op.drop_index('ix_login_attempts_address_started', table_name='login_attempts')
    op.drop_table('login_attempts')
