"""search grams: the users holding a query of one or two characters, on both databases

A trigram index finds nothing shorter than three characters, so the first keystrokes of a
live search read every user of the account. users_grams lists, for every one- and
two-character piece of every user's search_text (spaces and line breaks left out: a stripped
query of that length never holds them), the users holding it, by account: an FTS5 index of
one token per piece on SQLite, a table keyed (account_id, gram, user_id) on PostgreSQL, both
kept by triggers.

The statements are a copy of webapp.search_index's as of this revision (a migration must not
change when the app's code does); tests/test_search_index.py checks that a migrated database
and db.create_all() get the same objects. On SQLite they call users_grams_tokens(), the
function webapp.search_index gives every connection the app opens (Flask-Migrate's too).

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# On SQLite the grams go into an FTS5 index rather than a table: a table keyed by gram takes
# each of a user's ~60 grams as a write to another page, where FTS5 gathers a transaction's
# entries in memory and writes them in order. Each gram is one token, "<account id>x<its
# UTF-8 bytes in hex>" (hex, so that the tokenizer neither splits nor folds it; the account,
# so that one account's users are one list), and the document of user N, rowid N, is its
# tokens. detail=none keeps only which rows hold a token: no positions, so a row is deleted
# by naming its tokens in any order.
#
# The triggers get the tokens from users_grams_tokens(account_id, search_text), a function
# this module gives every SQLite connection the app opens (_register_functions, below):
# cutting a text into pieces in SQL took seed-demo's 100,000 users from 12 s to 150 s
# (substr walks a UTF-8 string from its start each time). A connection without it, such as
# the sqlite3 shell, cannot change search_text: it fails with "no such function", it does
# not leave the index behind.
SQLITE_GRAMS_CREATE = (
    """CREATE VIRTUAL TABLE users_grams USING fts5(
        tokens, content='', columnsize=0, detail=none, tokenize='unicode61')""",
    """CREATE TRIGGER users_grams_after_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_grams (rowid, tokens)
        VALUES (new.id, users_grams_tokens(new.account_id, new.search_text));
    END""",
    """CREATE TRIGGER users_grams_after_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_grams (users_grams, rowid, tokens)
        VALUES ('delete', old.id, users_grams_tokens(old.account_id, old.search_text));
    END""",
    """CREATE TRIGGER users_grams_after_update AFTER UPDATE OF search_text, account_id
        ON users BEGIN
        INSERT INTO users_grams (users_grams, rowid, tokens)
        VALUES ('delete', old.id, users_grams_tokens(old.account_id, old.search_text));
        INSERT INTO users_grams (rowid, tokens)
        VALUES (new.id, users_grams_tokens(new.account_id, new.search_text));
    END""",
)
SQLITE_GRAMS_FILL = (
    """INSERT INTO users_grams (rowid, tokens)
        SELECT id, users_grams_tokens(account_id, search_text) FROM users""",
)
SQLITE_GRAMS_DROP = (
    "DROP TRIGGER IF EXISTS users_grams_after_update",
    "DROP TRIGGER IF EXISTS users_grams_after_delete",
    "DROP TRIGGER IF EXISTS users_grams_after_insert",
    "DROP TABLE IF EXISTS users_grams",
)

# On PostgreSQL a plain table, (account_id, gram, user_id) its primary key: a gram's users are
# one range of it, newest last.
POSTGRESQL_GRAMS_CREATE = (
    """CREATE TABLE users_grams (
        account_id integer NOT NULL, gram text NOT NULL, user_id integer NOT NULL,
        PRIMARY KEY (account_id, gram, user_id))""",
    """CREATE FUNCTION users_grams_of(search_text text) RETURNS SETOF text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT DISTINCT substr(search_text, n, width)
        FROM generate_series(1, length(search_text)) AS n, (VALUES (1), (2)) AS widths(width)
        WHERE n + width - 1 <= length(search_text)
          AND strpos(substr(search_text, n, width), ' ') = 0
          AND strpos(substr(search_text, n, width), chr(10)) = 0
    $$""",
    """CREATE FUNCTION users_grams_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM users_grams WHERE account_id = OLD.account_id AND user_id = OLD.id
                AND gram IN (SELECT users_grams_of(OLD.search_text));
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO users_grams (account_id, gram, user_id)
            SELECT NEW.account_id, gram, NEW.id FROM users_grams_of(NEW.search_text) AS gram
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER users_grams_refresh
        AFTER INSERT OR DELETE OR UPDATE OF search_text, account_id ON users
        FOR EACH ROW EXECUTE FUNCTION users_grams_refresh()""",
)
POSTGRESQL_GRAMS_FILL = (
    """INSERT INTO users_grams (account_id, gram, user_id)
        SELECT users.account_id, gram, users.id
        FROM users, users_grams_of(users.search_text) AS gram
        ON CONFLICT DO NOTHING""",
    "ANALYZE users_grams",
)
POSTGRESQL_GRAMS_DROP = (
    "DROP TRIGGER IF EXISTS users_grams_refresh ON users",
    "DROP FUNCTION IF EXISTS users_grams_refresh()",
    "DROP FUNCTION IF EXISTS users_grams_of(text)",
    "DROP TABLE IF EXISTS users_grams",
)

GRAMS_STATEMENTS = {
    "sqlite": {"create": SQLITE_GRAMS_CREATE + SQLITE_GRAMS_FILL, "drop": SQLITE_GRAMS_DROP},
    "postgresql": {"create": POSTGRESQL_GRAMS_CREATE + POSTGRESQL_GRAMS_FILL,
                   "drop": POSTGRESQL_GRAMS_DROP},
}


def run(action: str) -> None:
    connection = op.get_bind()
    for statement in GRAMS_STATEMENTS.get(connection.dialect.name, {}).get(action, ()):
        connection.exec_driver_sql(statement)


def upgrade():
    run("create")


def downgrade():
    run("drop")
