"""The indexes behind user search: FTS5 trigrams on SQLite, pg_trgm on PostgreSQL, and on
both a table of each user's one- and two-character pieces ("grams").

All index `users.search_text` (see webapp.models.searchable_text). A substring query of three
or more characters finds its candidate rows through the trigram index; a trigram index finds
nothing shorter, so a query of one or two characters (what live search sends on the first
keystrokes) goes through `users_grams` instead: one row (account_id, gram, user_id) for every
distinct gram of every user's text, kept by triggers on both databases, so that the users
holding "a" or "ab" are one range of its primary key, newest first.

`db.create_all()` builds all of it through the DDL events at the bottom; migrations 0002 and
0012 hold copies of these statements, and tests check that they stay alike.
"""

import re

from sqlalchemy import Connection, Select, column, event, select, table

from .models import User

# Rows whose search_text contains a phrase; MATCH with a quoted phrase is a substring test
# under the trigram tokenizer. search_text is case-folded already, so the index compares
# exactly (case_sensitive 1) and no folding of its own can differ from Python's casefold().
users_fts = table("users_fts", column("rowid"), column("search_text"))

# Characters a LIKE pattern would read as wildcards (or the escape): escaped to be literal.
LIKE_SPECIALS = re.compile(r"([\\%_])")

# A trigram index finds nothing shorter than one trigram.
SHORTEST_INDEXED_QUERY = 3

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

# -- grams: the users holding a query of one or two characters --------------------------------

users_grams = table("users_grams", column("account_id"), column("gram"), column("user_id"))

# The longest query the grams answer; longer ones go to the trigram index.
LONGEST_GRAM = 2
# A query is stripped of white space (listing.search_terms), so a one- or two-character query
# never holds a space or a line break; grams that do are never looked up and are not stored.
# (Line breaks separate the fields in search_text; spaces are in every full name.)
NEVER_IN_A_SHORT_QUERY = (" ", "\n")

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

STATEMENTS = {
    "sqlite": {"create": SQLITE_CREATE + SQLITE_FILL + GRAMS_STATEMENTS["sqlite"]["create"],
               "drop": GRAMS_STATEMENTS["sqlite"]["drop"] + SQLITE_DROP},
    "postgresql": {"create": POSTGRESQL_CREATE + GRAMS_STATEMENTS["postgresql"]["create"],
                   "drop": GRAMS_STATEMENTS["postgresql"]["drop"] + POSTGRESQL_DROP},
}


def _run(connection: Connection, action: str) -> None:
    for statement in STATEMENTS.get(connection.dialect.name, {}).get(action, ()):
        connection.exec_driver_sql(statement)


def create(connection: Connection) -> None:
    """Create the index for this database's dialect and fill it from the existing users."""
    _run(connection, "create")


def drop(connection: Connection) -> None:
    """Remove the index (and on SQLite its triggers)."""
    _run(connection, "drop")


def can_narrow(dialect_name: str, terms: list[str]) -> bool:
    """True when the FTS5 index can find these terms: on SQLite, each a trigram or longer.

    (PostgreSQL needs no narrowing: its planner uses the trigram index for the LIKE itself.)
    """
    return dialect_name == "sqlite" and all(len(term) >= SHORTEST_INDEXED_QUERY
                                            for term in terms)


def _phrases(terms: list[str]) -> str:
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def narrow(ids: Select, terms: list[str]) -> Select:
    """`ids`, a select of user ids, limited to the rows the index finds holding a term.

    The index hands out rows newest first (rowid is users.id), so a LIMIT stops the query
    after one page instead of reading and sorting every match. Ordering by the index's rowid,
    not users.id, is what makes SQLite put the index in the outer loop.
    """
    return (ids.join_from(users_fts, User, User.id == users_fts.c.rowid)
            .where(users_fts.c.search_text.match(_phrases(terms)))
            .order_by(users_fts.c.rowid.desc()))


def holds(term: str):
    """search_text holds `term` as it is: a LIKE in which `%`, `_` and `\\` are literal."""
    return User.search_text.like("%" + LIKE_SPECIALS.sub(r"\\\1", term) + "%", escape="\\")


def in_grams(term: str) -> bool:
    """True when users_grams answers this term: one or two characters, neither of them a
    space or a line break (which a stripped query never has at its ends)."""
    return 0 < len(term) <= LONGEST_GRAM and not any(
        character in term for character in NEVER_IN_A_SHORT_QUERY)


def gram_holders(account_id: int, gram: str) -> Select:
    """Ids of the account's users whose search_text holds `gram`, newest first.

    Exactly those users (the triggers store every gram of every text), and an index-only
    range of users_grams' primary key read backwards: a page, a count and a deep page never
    touch `users`.
    """
    return (select(users_grams.c.user_id.label("id"))
            .where(users_grams.c.account_id == account_id, users_grams.c.gram == gram)
            .order_by(users_grams.c.user_id.desc()))


def narrow_to_gram(ids: Select, account_id: int, gram: str) -> Select:
    """`ids`, a select of user ids with conditions on `users` (role, status), limited to the
    users holding `gram`, newest first: users_grams leads, each of its rows one lookup."""
    return (ids.join_from(users_grams, User, User.id == users_grams.c.user_id)
            .where(users_grams.c.account_id == account_id, users_grams.c.gram == gram)
            .order_by(users_grams.c.user_id.desc()))


def candidates(account_id: int, term: str, dialect_name: str) -> Select | None:
    """Ids of the account's users holding `term`, or some more, found through an index and
    in its order; None when no index can find this term.

    users_grams for one or two characters (exact); longer ones from the FTS5 index on SQLite
    (the caller's LIKE still decides), or the LIKE itself on PostgreSQL, which pg_trgm serves.
    """
    if in_grams(term):
        return gram_holders(account_id, term)
    if len(term) < SHORTEST_INDEXED_QUERY:
        return None
    if dialect_name == "sqlite":
        return narrow(select(User.id).where(User.account_id == account_id), [term])
    if dialect_name == "postgresql":
        return select(User.id).where(User.account_id == account_id, holds(term))
    return None


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's filter: the FTS5 table with its shadow tables, the grams tables, and the
    trigram index are made here, not from the models."""
    if type_ == "index" and name == "ix_users_search_text_trgm":
        return False
    return not (type_ == "table" and name is not None
                and name.startswith(("users_fts", "users_grams")))


@event.listens_for(User.__table__, "after_create")
def _create_with_users_table(target, connection: Connection, **kw) -> None:
    create(connection)


@event.listens_for(User.__table__, "before_drop")
def _drop_with_users_table(target, connection: Connection, **kw) -> None:
    drop(connection)
