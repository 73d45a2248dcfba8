"""Explicit write transactions: a service function opens its own, nothing commits a caller's
work as a side effect, hashing runs outside them, and reads never take a write lock."""

import re
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from tests.conftest import HTMX, on_postgresql
from webapp import passwords
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Division, Role, Status, User


@pytest.fixture
def ann(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann")


@contextmanager
def statements_sent():
    """Every SQL statement the app sends meanwhile, BEGIN included."""
    sent = []

    def note(connection, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_flushed_change_is_rolled_back_not_committed_around_a_hash(app, admin):
    admin.first_name = "Changed"
    db.session.flush()
    passwords.hash_password("a password long enough", app.config["PASSWORD_HASH_METHOD"])
    db.session.rollback()
    assert db.session.scalar(select(User.first_name).where(User.id == admin.id)) == "Bo"


def test_hashing_inside_a_write_transaction_is_refused(app, admin):
    with pytest.raises(RuntimeError, match="hash before it"), write_transaction():
        passwords.hash_password("a password long enough", app.config["PASSWORD_HASH_METHOD"])


@pytest.mark.parametrize("flush", [False, True])
def test_changes_made_outside_a_write_transaction_are_never_committed_by_one(admin, flush):
    admin.first_name = "Sneaked in"
    if flush:
        db.session.flush()
    with pytest.raises(RuntimeError, match="outside write_transaction"), write_transaction():
        pass
    db.session.rollback()
    assert db.session.scalar(select(User.first_name).where(User.id == admin.id)) == "Bo"


def test_a_write_transaction_that_fails_leaves_nothing(account):
    with pytest.raises(ZeroDivisionError), write_transaction():
        db.session.add(Division(account_id=account.id, name="Half done"))
        db.session.flush()
        1 / 0  # noqa: B018
    assert db.session.scalar(select(Division.id).where(Division.name == "Half done")) is None


def test_nested_write_transactions_commit_once_at_the_outside(account):
    with pytest.raises(ZeroDivisionError), write_transaction():
        with write_transaction():
            db.session.add(Division(account_id=account.id, name="Inner"))
        1 / 0  # noqa: B018  (the outer block fails after the inner one ended)
    assert db.session.scalar(select(Division.id).where(Division.name == "Inner")) is None
    with write_transaction():
        with write_transaction():
            db.session.add(Division(account_id=account.id, name="Inner"))
    assert db.session.scalar(select(Division.id).where(Division.name == "Inner")) is not None


def test_a_write_statement_outside_a_write_transaction_is_refused(admin):
    with pytest.raises(RuntimeError, match="outside write_transaction"):
        admin.update_quietly(first_name="Sneaked in")
    db.session.rollback()
    assert db.session.scalar(select(User.first_name).where(User.id == admin.id)) == "Bo"


@pytest.mark.skipif(on_postgresql(), reason="SQLite's single write lock")
def test_a_command_line_write_waits_for_a_web_write_instead_of_failing(app, runner, account):
    """Another process (a web worker) holds the write lock and commits while the command
    runs; the command waits for it, then writes, instead of "database is locked"."""
    holder = sqlite3.connect(db.engine.url.database, check_same_thread=False)
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO divisions (account_id, name) VALUES (?, 'Web write')",
                   (account.id,))
    released = threading.Event()

    def commit_soon():
        time.sleep(1.0)
        holder.execute("COMMIT")
        released.set()

    worker = threading.Thread(target=commit_soon)
    worker.start()
    try:
        result = runner.invoke(args=["create-division", "--account", "Acme", "Command write"])
    finally:
        worker.join()
        holder.close()
    assert released.is_set()
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(select(Division.name)))
    assert {"Web write", "Command write"} <= names


def get_routes(app, user_id: int):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield re.sub(r"<[^>]*user_id>", str(user_id), rule.rule)


WRITES = re.compile(r"^\s*(BEGIN IMMEDIATE|INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b",
                    re.IGNORECASE)


def test_a_get_never_takes_the_write_lock_nor_writes(app, admin_client, ann):
    for path in get_routes(app, ann.id):
        for headers in ({}, HTMX):
            with statements_sent() as sent:
                admin_client.get(path, headers=headers)
            assert not [s for s in sent if WRITES.search(s)], path


ACCOUNT_LOCK = re.compile(r"SELECT accounts\.id\s+FROM accounts\s+WHERE accounts\.id = ")


def edit_form(user: User, **changes) -> dict:
    data = {"first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "email": user.email, "role": user.role,
            "division": str(user.division_id or ""), "status": user.status,
            "version": str(user.version)} | changes
    return {f"user-{user.id}-{name}": value for name, value in data.items()}


def test_the_account_lock_is_taken_only_by_changes_that_need_it(admin_client, ann, factory,
                                                                  account):
    second_admin = factory.user(account, Role.ADMIN, username="deputy")
    with statements_sent() as sent:
        assert admin_client.get(f"/users/{second_admin.id}/delete", headers=HTMX).status_code == 200
        renamed = admin_client.post(f"/users/{ann.id}", headers=HTMX,
                                    data=edit_form(ann, first_name="Annie"))
        assert renamed.status_code == 200
    assert not [s for s in sent if ACCOUNT_LOCK.search(s)]
    db.session.refresh(second_admin)
    with statements_sent() as sent:
        demoted = admin_client.post(f"/users/{second_admin.id}", headers=HTMX,
                                    data=edit_form(second_admin, role="Agent",
                                                   division=str(account.divisions[0].id)))
        assert demoted.status_code == 200, demoted.text
    assert [s for s in sent if ACCOUNT_LOCK.search(s)]


def test_roles_statuses_and_actions_load_as_their_enums(admin_client, ann):
    db.session.expire_all()
    user = db.session.get(User, ann.id)
    assert type(user.role) is Role and type(user.status) is Status
    entry = db.session.scalars(select(AuditEntry)).first()
    assert type(entry.action) is AuditAction


def test_an_unknown_role_is_refused_before_it_reaches_the_database(ann):
    ann.role = "Janitor"
    with pytest.raises(Exception, match="Janitor"):
        db.session.flush()
    db.session.rollback()
