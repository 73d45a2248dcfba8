"""Consistent backups while the app serves, and restoring one.

SQLite: the online backup API copies the database page by page under a read transaction,
so the copy is the state of one moment even while workers keep writing.
PostgreSQL: pg_dump takes a consistent snapshot in the same way; pg_restore puts it back.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404  (runs pg_dump/pg_restore with arguments, never a shell)
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from . import sqlite_files


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def check_sqlite_file(path: Path) -> int:
    """Raise unless `path` is an intact SQLite database of this app; return its user count."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            users = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a database of this app ({error}).") from error
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
    return users


def refuse_the_live_database(engine: Engine, target: Path) -> None:
    """Renaming the copy over the live database (or its -wal, -shm or -journal file) would
    put another file under the running workers, beside a WAL of the old one: corruption."""
    live = sqlite_files.database_path(engine.url)
    if live is None:
        return
    live = live.resolve()
    if target.resolve() in {live, *sqlite_files.companions(live)}:
        raise BackupError(f"{target} is the live database (or one of its files). "
                          f"Write the backup somewhere else.")


def partial_file_beside(target: Path) -> str:
    """An empty file next to `target`, where the copy is written before it is renamed into
    place; readable by its owner only (mkstemp), as the database is."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except FileExistsError as error:  # from mkdir: a file has the folder's name
        raise BackupError(f"Cannot write the backup to {target}: {target.parent} is not a "
                          f"directory.") from error
    except OSError as error:
        raise BackupError(f"Cannot write the backup to {target}: "
                          f"{error.strerror or error}.") from error
    os.close(handle)
    return partial


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the live database to `target` (written whole, then renamed into place)."""
    refuse_the_live_database(engine, target)
    partial = partial_file_beside(target)
    try:
        copy_live_database(engine, partial)
        users = check_sqlite_file(Path(partial))
        os.replace(partial, target)
        return users
    except (OSError, sqlite3.OperationalError) as error:  # a full disk, say
        raise BackupError(f"Cannot write the backup to {target}: {error}.") from error
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def copy_live_database(engine: Engine, partial: str) -> None:
    with closing(engine.raw_connection()) as live, closing(sqlite3.connect(partial)) as copy:
        live.driver_connection.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file


def restore_sqlite(engine: Engine, source: Path) -> int:
    """Replace the live database's contents with the backup at `source`."""
    users = check_sqlite_file(source)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = engine.raw_connection()
    try:
        backup.backup(live.driver_connection)
    finally:
        live.close()
        backup.close()
    engine.dispose()  # pooled connections may hold pages of the old database
    return users


def libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def run_pg_tool(tool: str, *arguments: str) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed. Install PostgreSQL's client tools "
                          f"(Debian: apt-get install postgresql-client) and try again.")
    result = subprocess.run([program, *arguments], capture_output=True, text=True,  # noqa: S603
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def backup(engine: Engine, target: Path) -> str:
    """Back up the app's database to `target`; return a line saying what was written."""
    if engine.dialect.name == "sqlite":
        users = backup_sqlite(engine, target)
        return f"Backed up {users} users to {target}."
    if engine.dialect.name == "postgresql":
        run_pg_tool("pg_dump", "--format=custom", "--no-owner", f"--file={target}",
                    f"--dbname={libpq_url(engine)}")
        return f"Backed up the database to {target} (pg_dump custom format)."
    raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")


def restore(engine: Engine, source: Path) -> str:
    if not source.is_file():
        raise BackupError(f"There is no file {source}.")
    if engine.dialect.name == "sqlite":
        users = restore_sqlite(engine, source)
        return f"Restored {users} users from {source}."
    if engine.dialect.name == "postgresql":
        run_pg_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    f"--dbname={libpq_url(engine)}", str(source))
        engine.dispose()
        return f"Restored the database from {source}."
    raise BackupError(f"Restoring {engine.dialect.name} databases is not supported.")
