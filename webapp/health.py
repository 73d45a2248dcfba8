"""`/healthz` for load balancers and uptime checks; also the benchmark's yardstick.

Healthy means the app can do its work: the database answers and accepts writes. A database
that answers reads but refuses every change (a read-only file or filesystem, a PostgreSQL
standby) would otherwise pass while every save fails.
"""

import os
import sqlite3

from flask import Blueprint
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from . import sqlite_files
from .extensions import db

bp = Blueprint("health", __name__)

POSTGRESQL_WRITABLE = text(
    "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'")


@bp.get("/healthz")
def healthz():
    """200 when the database answers and can be written, 503 when it cannot.

    No login and no session: a load balancer has neither, and must not be handed a cookie.
    The session checks leave this endpoint alone (webapp.auth.sessions), so a login cookie
    never makes it load a user from a database that may be down.
    """
    try:
        writable = database_is_writable(db.engine)
    except (SQLAlchemyError, sqlite3.Error):
        return {"status": "database unavailable"}, 503
    if not writable:
        return {"status": "database read-only"}, 503
    return {"status": "ok"}


def database_is_writable(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        return sqlite_is_writable(engine)
    with engine.connect() as connection:
        return bool(connection.execute(POSTGRESQL_WRITABLE).scalar())


def sqlite_is_writable(engine: Engine) -> bool:
    """Whether SQLite accepts a write, and the filesystem the file's. About 20 µs in all,
    less than the ORM session's SELECT 1 that /healthz ran before (about 90 µs)."""
    connection = engine.raw_connection()  # a pooled connection; the request uses no other
    try:
        writable = try_a_write(connection.driver_connection)
    except BaseException:
        connection.invalidate()  # its busy timeout may still be 0: never lend it out again
        raise
    finally:
        connection.close()
    # A filesystem remounted read-only shows only here: SQLite would find out at a commit.
    path = sqlite_files.database_path(engine.url)
    return writable and (path is None or os.access(path, os.W_OK))


def try_a_write(connection: sqlite3.Connection) -> bool:
    """Write to the database header inside a transaction that is always rolled back: a real
    write that changes nothing. BEGIN IMMEDIATE alone would not do: SQLite quietly makes it
    a read transaction on a database it opened read-only.

    The busy timeout is off meanwhile: another writer holding the lock proves the database
    writable, and /healthz must not wait seconds behind it.
    """
    busy_timeout = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute("BEGIN")
        connection.execute("PRAGMA user_version = 0")
    except sqlite3.OperationalError as error:
        if "readonly" in str(error):
            return False
        if "locked" not in str(error):
            raise
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
    return True
