"""Chats and their decisions (SPEC §7), API tokens and their rate windows (SPEC §8); on
users, presence set through the API and when an agent was last given a chat

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch table copy), so the search index triggers on users survive.
    op.add_column('users', sa.Column('presence_by_api', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('last_chat_at', sa.DateTime(), nullable=True))
    op.create_table(
        'chats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('customer_name', sa.String(length=200), nullable=False),
        sa.Column('division_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('customer_waiting_since', sa.DateTime(), nullable=True),
        sa.Column('idle_handovers', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('idle_flagged', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('tried_agent_ids', sa.JSON(), nullable=False, server_default='[]'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name='fk_chats_account_id_accounts', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['division_id'], ['divisions.id'],
                                name='fk_chats_division_id_divisions', ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'],
                                name='fk_chats_agent_id_users', ondelete='SET NULL'),
        sa.CheckConstraint("status <> 'queued' OR agent_id IS NULL",
                           name='ck_chats_queued_has_no_agent'),
        sa.CheckConstraint("status <> 'assigned' OR agent_id IS NOT NULL",
                           name='ck_chats_assigned_has_agent'),
        sa.PrimaryKeyConstraint('id', name='pk_chats'),
        sqlite_autoincrement=True,
    )
    op.create_index('uq_chats_account_channel_external', 'chats',
                    ['account_id', 'channel', 'external_id'], unique=True)
    op.create_index('ix_chats_account_status_id', 'chats', ['account_id', 'status', 'id'])
    op.create_index('ix_chats_agent_status', 'chats', ['agent_id', 'status'])
    op.create_table(
        'chat_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('from_agent_id', sa.Integer(), nullable=True),
        sa.Column('from_name', sa.String(length=32), nullable=False),
        sa.Column('to_agent_id', sa.Integer(), nullable=True),
        sa.Column('to_name', sa.String(length=32), nullable=False),
        sa.Column('actor_kind', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('over_capacity', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('candidates', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['chat_id'], ['chats.id'],
                                name='fk_chat_decisions_chat_id_chats', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name='fk_chat_decisions_account_id_accounts',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_chat_decisions'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_chat_decisions_chat', 'chat_decisions', ['chat_id', 'id'])
    op.create_index('ix_chat_decisions_account_newest', 'chat_decisions',
                    ['account_id', 'id'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_by_name', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name='fk_api_tokens_account_id_accounts', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_api_tokens'),
        sa.UniqueConstraint('token_hash', name='uq_api_tokens_token_hash'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_api_tokens_account_newest', 'api_tokens', ['account_id', 'id'])
    op.create_table(
        'api_rate_windows',
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('second', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'],
                                name='fk_api_rate_windows_token_id_api_tokens',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', 'second', name='pk_api_rate_windows'),
    )


def downgrade():
    op.drop_table('api_rate_windows')
    op.drop_index('ix_api_tokens_account_newest', table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index('ix_chat_decisions_account_newest', table_name='chat_decisions')
    op.drop_index('ix_chat_decisions_chat', table_name='chat_decisions')
    op.drop_table('chat_decisions')
    op.drop_index('ix_chats_agent_status', table_name='chats')
    op.drop_index('ix_chats_account_status_id', table_name='chats')
    op.drop_index('uq_chats_account_channel_external', table_name='chats')
    op.drop_table('chats')
    op.drop_column('users', 'last_chat_at')
    op.drop_column('users', 'presence_by_api')
