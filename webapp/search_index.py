"""The index behind user search: FTS5 trigrams on SQLite, pg_trgm on PostgreSQL.

Both index `users.search_text` (see webapp.models.searchable_text), so a substring query of
three or more characters finds its candidate rows without reading every user. `db.create_all()`
builds it through the DDL events at the bottom; migration 0002 holds a copy of these
statements, and tests/test_migrations.py checks that the two stay alike.
"""

from sqlalchemy import Connection, Select, column, event, table

from .models import User

# Rows whose search_text contains a phrase; MATCH with a quoted phrase is a substring test
# under the trigram tokenizer. search_text is case-folded already, so the index compares
# exactly (case_sensitive 1) and no folding of its own can differ from Python's casefold().
users_fts = table("users_fts", column("rowid"), column("search_text"))

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

STATEMENTS = {
    "sqlite": {"create": SQLITE_CREATE + SQLITE_FILL, "drop": SQLITE_DROP},
    "postgresql": {"create": POSTGRESQL_CREATE, "drop": POSTGRESQL_DROP},
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


def narrow(ids: Select, terms: list[str]) -> Select:
    """`ids`, a select of user ids, limited to the rows the index finds holding a term.

    The index hands out rows newest first (rowid is users.id), so a LIMIT stops the query
    after one page instead of reading and sorting every match. Ordering by the index's rowid,
    not users.id, is what makes SQLite put the index in the outer loop.
    """
    phrases = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return (ids.join_from(users_fts, User, User.id == users_fts.c.rowid)
            .where(users_fts.c.search_text.match(phrases))
            .order_by(users_fts.c.rowid.desc()))


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's filter: the FTS5 table with its shadow tables, and the trigram index, are
    made here, not from the models."""
    if type_ == "index" and name == "ix_users_search_text_trgm":
        return False
    return not (type_ == "table" and name is not None and name.startswith("users_fts"))


@event.listens_for(User.__table__, "after_create")
def _create_with_users_table(target, connection: Connection, **kw) -> None:
    create(connection)


@event.listens_for(User.__table__, "before_drop")
def _drop_with_users_table(target, connection: Connection, **kw) -> None:
    drop(connection)
