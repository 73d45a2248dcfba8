"""Agent Management: allocation switches, Workload and idle rule per account; channels per
division; agents' own Workloads

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Every existing account gets what a new one starts with: Auto agent allocation on, the
# other switches off, a Workload of 5, the idle rule off (15 minutes, 3 tries).
ACCOUNT_COLUMNS = (
    ('agent_can_take_over', sa.Boolean(), sa.false()),
    ('agent_can_transfer', sa.Boolean(), sa.false()),
    ('auto_allocation', sa.Boolean(), sa.true()),
    ('custom_allocation', sa.Boolean(), sa.false()),
    ('default_workload', sa.Integer(), '5'),
    ('idle_rule_on', sa.Boolean(), sa.false()),
    ('idle_minutes', sa.Integer(), '15'),
    ('idle_tries', sa.Integer(), '3'),
)


def upgrade():
    # Plain ADD COLUMN (no batch table copy): accounts and divisions are referenced by
    # every user row.
    for name, type_, default in ACCOUNT_COLUMNS:
        op.add_column('accounts', sa.Column(name, type_, nullable=False,
                                            server_default=default))
    op.add_column('divisions', sa.Column('channels', sa.JSON(), nullable=False,
                                         server_default='[]'))
    op.create_table(
        'agent_workloads',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('max_chats', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('agent_workloads')
    op.drop_column('divisions', 'channels')
    for name, _type, _default in reversed(ACCOUNT_COLUMNS):
        op.drop_column('accounts', name)
