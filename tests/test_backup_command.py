"""`flask backup` refuses to write over the live database, and says plainly where it cannot
write, instead of printing a traceback."""

import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import on_postgresql
from webapp.extensions import db

LIVE_SPELLINGS = ["itself", "wal", "shm", "journal", "through-a-symlink", "relative"]


def live_database() -> Path:
    return Path(db.engine.url.database)


def spelled(spelling: str, live: Path, tmp_path: Path, monkeypatch) -> str:
    """A path naming the live database (or one of its files) in one of several ways."""
    if spelling in {"wal", "shm", "journal"}:
        return f"{live}-{spelling}"
    if spelling == "through-a-symlink":
        (tmp_path / "alias").symlink_to(live.parent, target_is_directory=True)
        return str(tmp_path / "alias" / live.name)
    if spelling == "relative":
        monkeypatch.chdir(live.parent)
        return live.name
    return str(live)


def inodes(live: Path) -> dict[str, int | None]:
    names = [live, *(Path(f"{live}-{suffix}") for suffix in ("wal", "shm", "journal"))]
    return {name.name: name.stat().st_ino if name.exists() else None for name in names}


def assert_error_message(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # said, not raised
    assert "Error:" in result.output
    for word in words:
        assert word in result.output


@pytest.mark.skipif(on_postgresql(), reason="the live database is a SQLite file")
@pytest.mark.parametrize("spelling", LIVE_SPELLINGS)
def test_backup_refuses_to_write_over_the_live_database(runner, admin, tmp_path, monkeypatch,
                                                        spelling):
    live = live_database()
    before = inodes(live)
    result = runner.invoke(args=["backup", spelled(spelling, live, tmp_path, monkeypatch)])
    assert_error_message(result, "live database")
    assert inodes(live) == before  # no file of the live database was replaced
    check = sqlite3.connect(live)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT username FROM users").fetchall() == [("boss",)]
    finally:
        check.close()


@pytest.mark.parametrize("where", ["proc", "under-a-file"])
def test_backup_where_it_cannot_write_says_so(runner, admin, tmp_path, where):
    if where == "proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    (tmp_path / "plain-file").write_text("a file, not a directory")
    target = {"proc": "/proc/oam-backup.sqlite3",
              "under-a-file": str(tmp_path / "plain-file" / "backup.sqlite3")}[where]
    result = runner.invoke(args=["backup", target])
    assert_error_message(result, target)
