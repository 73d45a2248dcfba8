"""The indexes behind user search: FTS5 trigrams on SQLite, pg_trgm on PostgreSQL, and on
both an index of each user's one- and two-character pieces ("grams").

All index `users.search_text` (see webapp.models.searchable_text). A substring query of three
or more characters finds its candidate rows through the trigram index; a trigram index finds
nothing shorter, so a query of one or two characters (what live search sends on the first
keystrokes) goes through `users_grams` instead, which lists for every gram of every user's
text the users holding it, by account, newest first: an FTS5 index of one token per gram on
SQLite, a table keyed (account_id, gram, user_id) on PostgreSQL; triggers keep both.

`db.create_all()` builds all of it through the DDL events at the bottom; migrations 0002 and
0012 hold copies of these statements, and tests check that they stay alike.
"""

import re
import sqlite3

from sqlalchemy import Connection, Engine, Select, column, event, select, table

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
# (detail=none allows a MATCH on the whole table only: the column named as the table.)
sqlite_grams = table("users_grams", column("rowid"), column("users_grams"))

# The longest query the grams answer; longer ones go to the trigram index.
LONGEST_GRAM = 2
# A query is stripped of white space (listing.search_terms), so a one- or two-character query
# never holds a space or a line break; grams that do are never looked up and are not stored.
# (Line breaks separate the fields in search_text; spaces are in every full name.)
NEVER_IN_A_SHORT_QUERY = (" ", "\n")

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


def grams(search_text: str) -> set[str]:
    """The distinct pieces of one and two characters of a text that a query could ask for:
    those without a space or a line break."""
    return {search_text[start:start + width]
            for width in range(1, LONGEST_GRAM + 1)
            for start in range(len(search_text) - width + 1)
            if not any(character in search_text[start:start + width]
                       for character in NEVER_IN_A_SHORT_QUERY)}


def gram_token(account_id: int, gram: str) -> str:
    """The FTS5 token that stands for `gram` among this account's users (SQLite)."""
    return f"{account_id}x{gram.encode('utf-8', 'surrogatepass').hex()}"


def sqlite_tokens(account_id: int | None, search_text: str | None) -> str | None:
    """users_grams_tokens(): a user's FTS5 document, its grams' tokens."""
    if account_id is None or search_text is None:
        return None
    return " ".join(gram_token(account_id, gram) for gram in sorted(grams(search_text)))


@event.listens_for(Engine, "connect")
def _register_functions(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("users_grams_tokens", 2, sqlite_tokens,
                                         deterministic=True)


def gram_holders(account_id: int, gram: str, dialect_name: str) -> Select:
    """Ids of the account's users whose search_text holds `gram`, newest first.

    Exactly those users (the triggers index every gram of every text), read from the end of
    one list: the FTS5 index's on SQLite, a range of users_grams' primary key on PostgreSQL.
    A page, a count and a deep page never touch `users`.
    """
    if dialect_name == "sqlite":
        return (select(sqlite_grams.c.rowid.label("id"))
                .where(sqlite_grams.c.users_grams.match(f'"{gram_token(account_id, gram)}"'))
                .order_by(sqlite_grams.c.rowid.desc()))
    return (select(users_grams.c.user_id.label("id"))
            .where(users_grams.c.account_id == account_id, users_grams.c.gram == gram)
            .order_by(users_grams.c.user_id.desc()))


def narrow_to_gram(ids: Select, account_id: int, gram: str, dialect_name: str) -> Select:
    """`ids`, a select of user ids with conditions on `users` (role, status), limited to the
    users holding `gram`, newest first: the grams lead, each of their rows one lookup."""
    if dialect_name == "sqlite":
        return (ids.join_from(sqlite_grams, User, User.id == sqlite_grams.c.rowid)
                .where(sqlite_grams.c.users_grams.match(f'"{gram_token(account_id, gram)}"'))
                .order_by(sqlite_grams.c.rowid.desc()))
    return (ids.join_from(users_grams, User, User.id == users_grams.c.user_id)
            .where(users_grams.c.account_id == account_id, users_grams.c.gram == gram)
            .order_by(users_grams.c.user_id.desc()))


def finds_exactly(term: str, dialect_name: str) -> bool:
    """True when `candidates` finds exactly the users holding `term`, no LIKE needed: the
    grams always, the LIKE itself on PostgreSQL; FTS5's trigrams are left to the LIKE."""
    return in_grams(term) or (dialect_name == "postgresql"
                              and len(term) >= SHORTEST_INDEXED_QUERY)


def candidates(account_id: int, term: str, dialect_name: str) -> Select | None:
    """Ids of the account's users holding `term`, or some more, found through an index and
    in its order; None when no index can find this term.

    users_grams for one or two characters (exact); longer ones from the FTS5 index on SQLite
    (the caller's LIKE still decides), or the LIKE itself on PostgreSQL, which pg_trgm serves.
    """
    if in_grams(term):
        return gram_holders(account_id, term, dialect_name)
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
