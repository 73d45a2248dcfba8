"""How the app talks to SQLite: pragmas on every connection, and write transactions that
take the write lock up front so that concurrent workers wait their turn instead of failing.

Python's sqlite3 module opens a transaction lazily, at the first INSERT or UPDATE. A request
that read first and then writes can then find that another worker wrote in between, and
SQLite answers "database is locked" at once, without waiting. So SQLAlchemy issues BEGIN
itself (the recipe in SQLAlchemy's SQLite documentation), and for requests that change
something (any method but GET and HEAD) it is BEGIN IMMEDIATE: the request waits, up to
the busy timeout, for the write lock before its first read, and then nothing can come
between its checks and its writes.
"""

from flask import Flask, has_request_context, request
from sqlalchemy import Engine, event

from .extensions import db

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def _pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    return (
        "PRAGMA journal_mode = WAL",  # readers never wait for the writer
        f"PRAGMA busy_timeout = {busy_timeout_ms}",  # wait this long for a lock, then fail
        # Safe with WAL: an OS crash may lose the last commits but never corrupts the file.
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    )


def _on_begin(connection) -> None:
    writes = has_request_context() and request.method not in READ_ONLY_METHODS
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def end_read_transaction() -> None:
    """End the transaction so far, which must only have read, so that slow work after it
    (password hashing: 0.1–0.2 s of scrypt) holds no lock. A write request's transaction
    holds SQLite's write lock from its first query; hashing inside it would make every
    other worker's write wait behind the hash."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_transaction() with changes waiting to be written")
    session.commit()


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
        engine = db.engine
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
