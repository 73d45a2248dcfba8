"""The SQLite database file holds password hashes and session tokens, so only its owner may
read it, like instance/secret_key.

SQLite would create the file with the umask's mode (0644, readable by every local user).
It creates its -wal, -shm and -journal files with the database file's own mode, so a
private database file keeps those private too.
"""

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import URL, make_url

COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
logger = logging.getLogger(__name__)


def database_path(url: str | URL) -> Path | None:
    """The file of a SQLite database URL; None for other databases, in-memory ones, and
    URI filenames (sqlite:///file:…?uri=true), whose options this does not interpret."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def companions(path: Path) -> list[Path]:
    """The files SQLite keeps next to the database file."""
    return [path.with_name(path.name + suffix) for suffix in COMPANION_SUFFIXES]


def keep_database_private(url: str | URL) -> None:
    """Before SQLAlchemy first connects: create a missing database file 0600, and take
    group and other permissions away from an existing one of ours and its companions."""
    path = database_path(url)
    if path is None:
        return
    try:
        create_private_file(path)
        for name in (path, *companions(path)):
            make_private(name)
    except OSError as error:
        # A missing directory, say: SQLite cannot open the database either, and the error
        # pages and /healthz say so. Here the app can only start and report it.
        logger.warning("Cannot make the database file %s private: %s", path, error)


def create_private_file(path: Path) -> None:
    """An empty file, which SQLite takes for an empty database; O_EXCL leaves an existing
    one (or one another worker creates at the same moment) alone."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def make_private(path: Path) -> None:
    """Owner-only permissions for a file of ours; another user's file is left as it is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == os.geteuid() and mode & 0o077:
        os.chmod(path, mode & 0o700)
