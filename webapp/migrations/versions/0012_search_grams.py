"""search grams: the users holding a query of one or two characters, on both databases

A trigram index finds nothing shorter than three characters, so the first keystrokes of a
live search read every user of the account. users_grams holds one row (account_id, gram,
user_id) for every distinct one- and two-character piece of every user's search_text (spaces
and line breaks left out: a stripped query of that length never holds them), kept by triggers
on SQLite and on PostgreSQL; its primary key makes a gram's users one range, newest last.

The statements are a copy of webapp.search_index's as of this revision (a migration must not
change when the app's code does); tests/test_search_index.py checks that a migrated database
and db.create_all() get the same objects.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# SQLite cannot make rows out of a string's positions inside a trigger (no WITH there, no
# generate_series), so a table of the numbers 1..GRAM_POSITIONS stands in. search_text holds
# a user's names, username, email and phone, whose lengths the forms cap: together at most
# 129 + 32 + 254 + 16 characters plus 3 line breaks, 1,302 after case folding (which turns one
# character into at most three), well within 4,096.
GRAM_POSITIONS = 4096

# The grams of one row's text, `{row}` being "new", "old" or a table alias.
SQLITE_GRAMS_OF = """
    SELECT {row}.account_id AS account_id, substr({row}.search_text, n, width) AS gram,
           {row}.id AS user_id
    FROM {tables}users_grams_positions, (SELECT 1 AS width UNION ALL SELECT 2)
    WHERE n + width - 1 <= length({row}.search_text)
      AND instr(substr({row}.search_text, n, width), ' ') = 0
      AND instr(substr({row}.search_text, n, width), char(10)) = 0"""

SQLITE_GRAMS_CREATE = (
    # WITHOUT ROWID: the primary key is the table, so a gram's users are one range of it.
    """CREATE TABLE users_grams (
        account_id INTEGER NOT NULL, gram TEXT NOT NULL, user_id INTEGER NOT NULL,
        PRIMARY KEY (account_id, gram, user_id)) WITHOUT ROWID""",
    "CREATE TABLE users_grams_positions (n INTEGER PRIMARY KEY)",
    f"""WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers
                                      WHERE n < {GRAM_POSITIONS})
        INSERT INTO users_grams_positions (n) SELECT n FROM numbers""",  # noqa: S608
    f"""CREATE TRIGGER users_grams_after_insert AFTER INSERT ON users BEGIN
        INSERT OR IGNORE INTO users_grams (account_id, gram, user_id)
        {SQLITE_GRAMS_OF.format(row="new", tables="")};
    END""",
    f"""CREATE TRIGGER users_grams_after_delete AFTER DELETE ON users BEGIN
        DELETE FROM users_grams WHERE account_id = old.account_id AND user_id = old.id
            AND gram IN (SELECT gram FROM ({SQLITE_GRAMS_OF.format(row="old", tables="")}));
    END""",  # noqa: S608  (constants only, as in every statement here)
    f"""CREATE TRIGGER users_grams_after_update AFTER UPDATE OF search_text, account_id
        ON users BEGIN
        DELETE FROM users_grams WHERE account_id = old.account_id AND user_id = old.id
            AND gram IN (SELECT gram FROM ({SQLITE_GRAMS_OF.format(row="old", tables="")}));
        INSERT OR IGNORE INTO users_grams (account_id, gram, user_id)
        {SQLITE_GRAMS_OF.format(row="new", tables="")};
    END""",  # noqa: S608
)
SQLITE_GRAMS_FILL = (
    "INSERT OR IGNORE INTO users_grams (account_id, gram, user_id) "
    + SQLITE_GRAMS_OF.format(row="users", tables="users, "),
)
SQLITE_GRAMS_DROP = (
    "DROP TRIGGER IF EXISTS users_grams_after_update",
    "DROP TRIGGER IF EXISTS users_grams_after_delete",
    "DROP TRIGGER IF EXISTS users_grams_after_insert",
    "DROP TABLE IF EXISTS users_grams_positions",
    "DROP TABLE IF EXISTS users_grams",
)

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
