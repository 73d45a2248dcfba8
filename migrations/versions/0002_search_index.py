"""search index: users by role, and users.search_text for substring search

On SQLite an FTS5 table with the trigram tokenizer, kept in step with `users` by triggers; on
PostgreSQL a pg_trgm GIN index. The statements live in webapp.search_index, which db.create_all()
uses too, so that tests and migrated databases get the same index.

A later migration that recreates the users table on SQLite (batch mode with recreate) drops the
triggers with it, and must call search_index.drop() and search_index.create() afterwards.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from webapp import search_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_account_role_newest", "users", ["account_id", "role", "id"])
    search_index.create(op.get_bind())


def downgrade():
    search_index.drop(op.get_bind())
    op.drop_index("ix_users_account_role_newest", table_name="users")
