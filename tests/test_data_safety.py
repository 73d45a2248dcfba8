"""Nothing an admin saves may be lost: concurrent workers, a busy database, backups taken
while writing, and a server killed in the middle of writes. These run the app under
gunicorn with real HTTP and separate processes."""

import multiprocessing
import re
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select, text

from tests import live
from tests.conftest import HTMX, on_postgresql
from webapp import backup
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Role, User

STRONG = "violet-orbit-cactus-93"
CONCURRENT = 20


def new_user_form(division_id: int, username: str) -> dict:
    return {"first_name": "Race", "last_name": "Runner", "username": username,
            "email": f"{username}@race.example.com", "role": "Agent", "division": str(division_id),
            "password": STRONG, "confirm_password": STRONG}


def all_at_once(server, path: str, forms: list[dict], browser: live.Browser) -> list:
    """POST each form to `path` from its own process, all at the same moment."""
    return requests_at_once(server, [(path, form, browser) for form in forms])


def requests_at_once(server, requests: list[tuple[str, dict, live.Browser]]) -> list:
    """POST each (path, form, browser) from its own process, all at the same moment."""
    start_at = time.time() + 2.0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(requests), mp_context=context) as pool:
        futures = [pool.submit(live.post_at, server.url, path, form, browser.cookie_header(),
                               browser.csrf_token, start_at)
                   for path, form, browser in requests]
        return [future.result(timeout=120) for future in futures]


def query_live(server, statement: str, **params):
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement), params).all()
    finally:
        engine.dispose()


def general_division(server) -> int:
    return query_live(server, "SELECT id FROM divisions WHERE name = 'General'")[0][0]


def test_simultaneous_creates_of_one_username_make_exactly_one_user(server, root):
    form = new_user_form(general_division(server), "twin")
    results = all_at_once(server, "/users", [form] * CONCURRENT, root)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * (CONCURRENT - 1), statuses
    for status, body in results:
        if status == 422:
            assert 'class="popup-error"' in body
            assert "already taken" in body
    rows = query_live(server, "SELECT count(*) FROM users WHERE lower(username) = 'twin'")
    assert rows[0][0] == 1


def test_simultaneous_edits_of_one_user_one_wins_the_rest_conflict(server, root):
    division = general_division(server)
    created = root.request("POST", "/users", new_user_form(division, "target"),
                           headers={"HX-Request": "true", "X-CSRFToken": root.csrf_token})
    assert created.status == 201
    user_id = query_live(server, "SELECT id FROM users WHERE username = 'target'")[0][0]
    prefix = f"user-{user_id}-"
    forms = [{f"{prefix}{name}": value for name, value in {
        "first_name": f"Editor{n}", "last_name": "", "username": "target",
        "email": "target@race.example.com", "phone": "", "role": "Agent", "division": str(division),
        "status": "active", "version": "1"}.items()} for n in range(CONCURRENT)]
    results = all_at_once(server, f"/users/{user_id}", forms, root)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (CONCURRENT - 1), statuses
    winner = next(body for status, body in results if status == 200)
    name, version = query_live(server, "SELECT first_name, version FROM users WHERE id = :id",
                               id=user_id)[0]
    # The winner's answer is the saved row, showing the name that was stored.
    assert f'<td>{name}<td>' in winner and version == 2
    for status, body in results:
        if status == 409:
            assert "Someone else changed this user" in body


def create_over_http(server, browser: live.Browser, username: str, role="Agent") -> int:
    form = new_user_form(general_division(server), username) | {"role": role}
    reply = browser.request("POST", "/users", form,
                            headers={"HX-Request": "true", "X-CSRFToken": browser.csrf_token})
    assert reply.status == 201, reply.text
    return query_live(server, "SELECT id FROM users WHERE username = :u", u=username)[0][0]


def test_two_admins_deleting_each_other_at_once_leave_one_admin(server, root):
    for trial in range(3):
        other_id = create_over_http(server, root, f"second{trial}", role="Admin")
        other = live.Browser(server.url)
        other.login(f"second{trial}", STRONG)
        root_id = query_live(server, "SELECT id FROM users WHERE username = 'root'")[0][0]
        results = requests_at_once(server, [(f"/users/{other_id}/delete", {}, root),
                                            (f"/users/{root_id}/delete", {}, other)])
        assert 500 not in [status for status, _ in results]
        admins = query_live(server, "SELECT username FROM users WHERE role = 'Admin'")
        assert len(admins) == 1, (trial, results, admins)
        if admins[0][0] != "root":
            break  # root is gone; the account kept its other Admin, as it must


def test_simultaneous_guesses_cannot_slip_under_the_lockout(server, root):
    create_over_http(server, root, "guarded")
    guesser = live.Browser(server.url)
    guesser.request("GET", "/login")
    forms = [{"username": "guarded", "password": f"wrong guess {n}",
              "csrf_token": guesser.csrf_token} for n in range(CONCURRENT)]
    results = requests_at_once(server, [("/login", form, guesser) for form in forms])
    assert {status for status, _ in results} == {422}
    failures, locked_until = query_live(
        server, "SELECT failed_logins, locked_until FROM users WHERE username = 'guarded'")[0]
    assert failures >= 5 and locked_until is not None
    checked = query_live(server, "SELECT count(*) FROM audit_entries WHERE target_name = "
                                 "'guarded' AND CAST(facts AS TEXT) LIKE "
                                 "'%\"wrong_password\"%'")[0][0]
    assert checked == 5  # the rest found the account locked, however many came at once


def test_deleting_one_user_twice_at_once_is_no_500(server, root):
    user_id = create_over_http(server, root, "doomed")
    results = all_at_once(server, f"/users/{user_id}/delete", [{}] * 4, root)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(204) == 1 and set(statuses) <= {204, 404, 409}, statuses


@pytest.mark.skipif(on_postgresql(), reason="SQLite's single write lock")
def test_password_hashing_holds_no_write_lock(app, admin_client, account, monkeypatch):
    from webapp import passwords

    seen = []
    for name in ("generate_password_hash", "check_password_hash"):
        real = getattr(passwords, name)

        def probe(*args, real=real, **kwargs):
            other = sqlite3.connect(db.engine.url.database, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # fails at once if the lock is held
                other.rollback()
                seen.append("free")
            except sqlite3.OperationalError:
                seen.append("locked")
            finally:
                other.close()
            return real(*args, **kwargs)

        monkeypatch.setattr(passwords, name, probe)
    stranger = app.test_client()
    stranger.post("/login", data={"username": "boss", "password": "wrong password 1"})
    stranger.post("/login", data={"username": "nobody", "password": "wrong password 1"})
    created = admin_client.post("/users", data=new_user_form(account.divisions[0].id, "hashed"))
    assert created.status_code == 302, created.text
    user_id = db.session.scalar(select(User.id).where(User.username == "hashed"))
    admin_client.post(f"/users/{user_id}/password",
                      data={"new_password": STRONG + "2", "confirm_password": STRONG + "2"})
    assert seen == ["free"] * 4


@pytest.mark.skipif(on_postgresql(), reason="SQLite's write lock; PostgreSQL locks rows")
def test_a_database_that_stays_locked_answers_503_not_500(app, admin_client, account):
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 100
    db.engine.dispose()
    from webapp.database import configure_sqlite

    configure_sqlite(db.engine, 100)
    holder = sqlite3.connect(db.engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = admin_client.post("/users", headers=HTMX, data=new_user_form(
            account.divisions[0].id, "blocked"))
        assert response.status_code == 503
        assert "try again" in response.headers["HX-Trigger"]
        assert response.headers["Retry-After"] == "2"
        assert admin_client.get("/users", headers=HTMX).status_code == 200  # reads go on
    finally:
        holder.rollback()
        holder.close()
    assert admin_client.post("/users", headers=HTMX, data=new_user_form(
        account.divisions[0].id, "blocked")).status_code == 201


@pytest.mark.skipif(on_postgresql(), reason="SQLite's online backup; PostgreSQL uses pg_dump")
def test_backup_during_concurrent_writes_holds_every_committed_user(app, factory, account,
                                                                    admin, tmp_path):
    committed: list[int] = []
    stop = threading.Event()

    def write_users():
        with app.app_context():
            from webapp.users import service

            number = 0
            while not stop.is_set():
                number += 1
                user = service.create_user(account.id, {
                    "first_name": "Busy", "last_name": "", "username": f"busy{number}",
                    "email": f"busy{number}@x.example.com", "phone": "", "role": Role.AGENT,
                    "division_id": account.divisions[0].id}, STRONG, actor=None)
                db.session.commit()
                committed.append(user.id)
            db.session.remove()

    writer = threading.Thread(target=write_users)
    writer.start()
    try:
        while len(committed) < 20:
            time.sleep(0.01)
        before_backup = list(committed)
        copy = tmp_path / "backup.sqlite3"
        message = backup.backup(db.engine, copy)
        while len(committed) < len(before_backup) + 10:
            time.sleep(0.01)  # the writer went on during and after the backup
    finally:
        stop.set()
        writer.join()
    assert message.startswith("Backed up")
    saved = sqlite3.connect(copy)
    assert saved.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved_ids = {row[0] for row in saved.execute("SELECT id FROM users")}
    assert set(before_backup) <= saved_ids
    # Each user and its audit entry were one transaction: the copy has both or neither.
    audited = {row[0] for row in saved.execute(
        "SELECT target_id FROM audit_entries WHERE action = 'user created'")}
    assert saved_ids - {admin.id} == audited
    saved.close()


@pytest.mark.skipif(on_postgresql(), reason="SQLite's online backup; PostgreSQL uses pg_dump")
def test_backup_and_restore_commands(runner, factory, account, admin, tmp_path):
    copy = tmp_path / "nightly.sqlite3"
    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0 and "Backed up 1 users" in result.output
    factory.user(account, Role.AGENT, username="after_backup")
    result = runner.invoke(args=["restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    usernames = db.session.scalars(select(User.username)).all()
    assert usernames == ["boss"]


def test_restore_refuses_what_is_not_a_backup(runner, tmp_path, admin):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code == 1 and "There is no file" in missing.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_killed_server_leaves_no_half_written_user(server, root):
    division = general_division(server)
    acknowledged: list[str] = []
    stop = threading.Event()

    def keep_creating(worker: int):
        number = 0
        while not stop.is_set():
            number += 1
            username = f"crash{worker}x{number}"
            try:
                reply = root.request("POST", "/users", new_user_form(division, username),
                                        headers={"HX-Request": "true",
                                                 "X-CSRFToken": root.csrf_token})
            except OSError:
                return  # the server is gone
            if reply.status == 201:
                acknowledged.append(username)

    writers = [threading.Thread(target=keep_creating, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL, mid-write
    stop.set()
    for writer in writers:
        writer.join(timeout=60)
    assert len(acknowledged) >= 8

    engine = create_engine(server.env["DATABASE_URL"])
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        users = connection.execute(select(User.id, User.username, User.password_hash,
                                          User.search_text)).all()
        created = {row.target_id for row in connection.execute(
            select(AuditEntry.target_id).where(AuditEntry.action == AuditAction.USER_CREATED))}
    engine.dispose()
    stored = {user.username for user in users}
    assert set(acknowledged) <= stored  # every "User created" the admin saw is there
    for user in users:
        assert user.id in created  # user and audit entry: both or neither
        assert user.password_hash.startswith("scrypt:") and user.search_text
        assert re.fullmatch(r"root|crash\d+x\d+", user.username)


@pytest.mark.skipif(not on_postgresql(), reason="pg_dump and pg_restore are PostgreSQL's")
def test_backup_and_restore_commands_on_postgresql(runner, factory, account, admin, tmp_path):
    copy = tmp_path / "nightly.dump"
    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert copy.stat().st_size > 0
    factory.user(account, Role.AGENT, username="after_backup")
    db.session.remove()
    db.engine.dispose()  # pg_restore must not wait behind this test's open connections
    result = runner.invoke(args=["restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(User.username)).all() == ["boss"]
