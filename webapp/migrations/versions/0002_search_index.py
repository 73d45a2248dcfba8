"""search index: users by role, and users.search_text for substring search

On SQLite an FTS5 table with the trigram tokenizer, kept in step with `users` by triggers; on
PostgreSQL a pg_trgm GIN index. The statements are a copy of webapp.search_index's as of this
revision (a migration must not change when the app's code does); tests/test_migrations.py
checks that a migrated database and db.create_all() still get the same objects.

A later migration that recreates the users table on SQLite (batch mode with recreate) drops the
triggers with it, and must call search_index.drop() and search_index.create() afterwards.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_CREATE = (
    # External content: the index only, the text itself stays in `users`.
    """CREATE VIRTUAL TABLE users_fts USING fts5(
        search_text, content='users', content_rowid='id',
        tokenize='trigram case_sensitive 1', columnsize=0)""",
    """CREATE TRIGGER users_fts_after_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    # An external-content index forgets a row by being told its old text.
    """CREATE TRIGGER users_fts_after_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_fts(users_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    # Only when the text changes: logins and session bookkeeping update users all the time.
    """CREATE TRIGGER users_fts_after_update AFTER UPDATE OF search_text ON users BEGIN
        INSERT INTO users_fts(users_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO users_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)
SQLITE_FILL = ("INSERT INTO users_fts(users_fts) VALUES ('rebuild')",)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS users_fts_after_update",
    "DROP TRIGGER IF EXISTS users_fts_after_delete",
    "DROP TRIGGER IF EXISTS users_fts_after_insert",
    "DROP TABLE IF EXISTS users_fts",
)

# pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
# A GIN trigram index serves LIKE '%…%' directly, so the query stays a plain LIKE there.
POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_users_search_text_trgm ON users "
    "USING gin (search_text gin_trgm_ops)",
)
# The extension stays: other objects may have come to depend on it.
POSTGRESQL_DROP = ("DROP INDEX IF EXISTS ix_users_search_text_trgm",)

STATEMENTS = {
    "sqlite": {"create": SQLITE_CREATE + SQLITE_FILL, "drop": SQLITE_DROP},
    "postgresql": {"create": POSTGRESQL_CREATE, "drop": POSTGRESQL_DROP},
}



def run(action: str) -> None:
    connection = op.get_bind()
    for statement in STATEMENTS.get(connection.dialect.name, {}).get(action, ()):
        connection.exec_driver_sql(statement)


def upgrade():
    op.create_index("ix_users_account_role_newest", "users", ["account_id", "role", "id"])
    run("create")


def downgrade():
    run("drop")
    op.drop_index("ix_users_account_role_newest", table_name="users")
