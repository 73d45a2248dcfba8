"""How the app writes: every change goes through `write_transaction()`, which the service
function making the change opens itself.

Web views, the command line (and later the API and the worker) call the same service
functions, so they all get the same locking, whatever the HTTP method or the caller.

SQLite: Python's sqlite3 module would open a transaction lazily, at the first INSERT or
UPDATE. A change that read first and then writes could then find that another process wrote
in between, and SQLite answers "database is locked" at once, without waiting. So SQLAlchemy
issues BEGIN itself (the recipe in SQLAlchemy's SQLite documentation), and a write
transaction begins with BEGIN IMMEDIATE: it waits, up to the busy timeout, for the write
lock before its first read, and then nothing can come between its checks and its writes.
Reads use a plain (deferred) BEGIN and never take the write lock.

PostgreSQL: a write transaction is a plain transaction; the service functions lock the rows
their rules depend on (SELECT … FOR UPDATE), and everything that moves chats or changes who
may take them first takes its account's allocation lock, an advisory lock
(webapp.chats.allocator.lock_allocation).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask
from sqlalchemy import Engine, Index, UniqueConstraint, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .extensions import db
from .sqlite_files import keep_database_private

# True only while write_transaction() begins its transaction, so the "begin" event below
# knows to take SQLite's write lock.
_beginning_a_write: ContextVar[bool] = ContextVar("beginning_a_write", default=False)

WRITING = "writing"  # session.info key: a write_transaction() is open on this session
FLUSHED = "flushed_changes"  # session.info key: this transaction has sent changes


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Open a write transaction, commit it when the block ends, roll it back on an error.

    A read-only transaction still open (a view's lookups) is ended first, so the write
    starts from a fresh snapshot. Changes made before the block, flushed or not, are a
    programming error, never committed as a side effect. Nested blocks join the outer one,
    which commits.
    """
    session = db.session()  # the request's (or command's) Session itself
    if session.info.get(WRITING):
        yield session
        return
    end_read_transaction(session)
    beginning = _beginning_a_write.set(True)
    try:
        session.connection()  # BEGIN (IMMEDIATE) now, before the block's first read
    finally:
        _beginning_a_write.reset(beginning)
    session.info[WRITING] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(WRITING, None)


def in_write_transaction() -> bool:
    return bool(db.session().info.get(WRITING))


def end_read_transaction(session: Session) -> None:
    """End the transaction so far, which must only have read."""
    if session.new or session.dirty or session.deleted or session.info.get(FLUSHED):
        raise RuntimeError("Changes were made outside write_transaction(); "
                           "they are neither committed nor dropped silently.")
    if session.in_transaction():
        session.rollback()


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, flush_context) -> None:
    session.info[FLUSHED] = True


@event.listens_for(Session, "do_orm_execute")
def _refuse_statements_that_write_outside(execute_state) -> None:
    # An UPDATE or DELETE statement (User.update_quietly, say) marks nothing dirty, so
    # write_transaction() could not notice it later: refuse it here instead.
    writes = execute_state.is_insert or execute_state.is_update or execute_state.is_delete
    if writes and not execute_state.session.info.get(WRITING):
        raise RuntimeError("A write outside write_transaction().")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_flushed_changes(session: Session) -> None:
    session.info.pop(FLUSHED, None)


def violated_unique_index(error: IntegrityError) -> str | None:
    """The name of the unique index (or constraint) a write violated, or None.

    PostgreSQL reports the name itself. SQLite names an index on an expression
    ("index 'uq_users_username_lower'") but lists the columns of a plain one
    ("users.email"); those columns identify the index in the models' metadata.
    """
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:
        return diagnostics.constraint_name
    failed = re.fullmatch(r"UNIQUE constraint failed: (.+)", str(error.orig))
    if failed is None:
        return None
    named = re.fullmatch(r"index '(.+)'", failed.group(1))
    if named:
        return named.group(1)
    qualified = [name.split(".", 1) for name in failed.group(1).split(", ")]
    return _unique_index_on(qualified[0][0], {column for _, column in qualified})


def _unique_index_on(table_name: str, columns: set[str]) -> str | None:
    table = db.metadata.tables.get(table_name)
    if table is None:
        return None
    candidates = [*table.indexes, *table.constraints]
    for candidate in candidates:
        unique = isinstance(candidate, UniqueConstraint) or (
            isinstance(candidate, Index) and candidate.unique)
        if unique and {column.name for column in candidate.columns} == columns:
            return candidate.name
    return None


def _pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    return (
        "PRAGMA journal_mode = WAL",  # readers never wait for the writer
        f"PRAGMA busy_timeout = {busy_timeout_ms}",  # wait this long for a lock, then fail
        # Safe with WAL: an OS crash may lose the last commits but never corrupts the file.
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    )


def _on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _beginning_a_write.get() else "BEGIN")


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    pragmas = _pragmas(busy_timeout_ms)

    def on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_begin)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine  # made, not connected yet
    if engine.dialect.name == "sqlite":
        # The engine's URL is the file itself: Flask-SQLAlchemy puts a relative path under
        # the instance folder.
        keep_database_private(engine.url)
        configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
