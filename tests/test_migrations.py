"""The committed migrations build exactly the schema the models describe."""

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from webapp import search_index
from webapp.extensions import db


# Alembic cannot reflect expression indexes on SQLite and says so; the test below checks
# those indexes by name instead.
@pytest.mark.filterwarnings("ignore:autogenerate skipping")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_matches_the_models(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": search_index.include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    assert {"uq_users_username_lower", "uq_divisions_account_name",
            "ix_users_account_newest"} <= index_names()


def index_names() -> set[str]:
    """Every index, expression indexes included (which SQLAlchemy cannot reflect on SQLite)."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql(query).scalars())


def test_downgrade_to_nothing_and_back(empty_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "users" in inspect(db.engine).get_table_names()


def search_index_objects() -> set[tuple[str, str]]:
    """The search index's own objects (FTS table and triggers, or the trigram index), each
    with its definition, white space folded."""
    if db.engine.dialect.name == "sqlite":
        query = ("SELECT name, sql FROM sqlite_master WHERE name LIKE 'users_fts%' "
                 "AND sql IS NOT NULL")
    else:
        query = ("SELECT indexname, indexdef FROM pg_indexes "
                 "WHERE indexname = 'ix_users_search_text_trgm'")
    with db.engine.connect() as connection:
        return {(name, " ".join(sql.split())) for name, sql in connection.exec_driver_sql(query)}


def test_migrated_and_created_databases_get_the_same_search_index(empty_app):
    upgrade()
    migrated = search_index_objects()
    assert migrated
    downgrade(revision="base")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    db.create_all()
    assert search_index_objects() == migrated


def add_user_row(connection, number: int, email: str, phone: str = "") -> None:
    connection.exec_driver_sql(
        "INSERT INTO users (account_id, first_name, last_name, username, email, phone, role, "
        "status, password_hash, session_token, search_text, failed_logins, version, "
        "created_at) VALUES (1, 'Old', 'Row', ?, ?, ?, 'Admin', 'active', 'x', ?, '', 0, 1, "
        "'2026-01-01 00:00:00')".replace("?", "%s" if db.engine.dialect.name != "sqlite"
                                          else "?"),
        (f"old{number}", email, phone, f"token{number}"))


def upgrade_with_old_rows(rows: list[tuple[str, str]]) -> None:
    upgrade(revision="0004")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO accounts (name, created_at) VALUES ('Old', '2026-01-01 00:00:00')")
        for number, (email, phone) in enumerate(rows):
            add_user_row(connection, number, email, phone)
    upgrade()


def test_old_emails_and_phones_are_put_in_their_stored_form(empty_app):
    upgrade_with_old_rows([("owner@ｅｘａｍｐｌｅ.com", "+٦٢٨١٢٣٤٥٦٧٨٩"),
                           ("x@xn--exmple-cua.com", ""), ("plain@example.com", "+628123")])
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT email, phone, search_text FROM users ORDER BY id").all()
    assert [(email, phone) for email, phone, _ in rows] == [
        ("owner@example.com", "+628123456789"), ("x@exämple.com", ""),
        ("plain@example.com", "+628123")]
    assert "owner@example.com" in rows[0][2] and "+628123456789" in rows[0][2]


def test_emails_that_are_one_address_stop_the_migration_with_their_ids(empty_app, capfd):
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
        upgrade_with_old_rows([("zoe\u0308@example.com", ""), ("zo\u00eb@example.com", "")])
    assert "zoë@example.com: user ids 1, 2" in capfd.readouterr().err
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
            == "0004"


# (action, actor_name, details, address) of entries the log wrote before it kept facts.
OLD_ENTRIES = [
    ("failed login", "", "Wrong password", "192.0.2.1"),
    ("failed login", "", "Wrong current password", "192.0.2.1"),
    ("failed login", "", "Account disabled", "192.0.2.1"),
    ("failed login", "", "Password changed meanwhile", "192.0.2.1"),
    ("failed login", "", "Unknown username", "192.0.2.1"),
    ("failed login", "", "Account locked", "192.0.2.1"),
    ("failed login", "", "Too many attempts at once", "192.0.2.1"),
    ("locked out", "", "After 7 failed logins", "192.0.2.1"),
    ("locked out", "", "Address refused for 15 minutes after 10 failed logins", "192.0.2.1"),
    ("user created", "", "Role Supervisor", "command line"),
    ("user deleted", "boss", "Budi <Santoso> <budi@example.com>, Agent", "192.0.2.1"),
    ("password changed", "command line", "", "command line"),
    ("user edited", "boss", "No changes", "192.0.2.1"),
    # Sentences it does not know stay as they are: an older edit, a role no longer used.
    ("user edited", "boss", "Changed first name, role: Agent → Supervisor", "192.0.2.1"),
    ("user created", "", "Role Owner", "192.0.2.1"),
    ("login", "boss", "", "192.0.2.1"),
]
OLD_FACTS = [
    {"reason": "wrong_password"}, {"reason": "wrong_current_password"},
    {"reason": "account_disabled"}, {"reason": "password_changed_meanwhile"},
    {"reason": "unknown_username"}, {"reason": "account_locked"},
    {"reason": "too_many_attempts"}, {"failed_logins": 7},
    {"reason": "address_refused", "minutes": 15, "failed_logins": 10},
    {"role": "Supervisor", "address": "command_line"},
    {"name": "Budi <Santoso>", "email": "budi@example.com", "role": "Agent"},
    {"actor": "command_line", "address": "command_line"},
    None, None, None, None,
]


def audit_rows(columns: str) -> list[tuple]:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT {columns} FROM audit_entries ORDER BY id")  # noqa: S608  (the tests' own columns)
        return [tuple(row) for row in rows]


def test_old_audit_sentences_become_facts_and_come_back_on_downgrade(empty_app):
    upgrade(revision="0009")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO accounts (name, created_at) VALUES ('Old', '2026-01-01 00:00:00')")
        for action, actor_name, details, address in OLD_ENTRIES:
            connection.execute(
                text("INSERT INTO audit_entries (account_id, action, actor_name, target_name, "
                     "details, address, created_at) VALUES (1, :action, :actor_name, 'ann', "
                     ":details, :address, '2026-01-01 00:00:00')"),
                {"action": action, "actor_name": actor_name, "details": details,
                 "address": address})
    upgrade()

    facts = [json.loads(value) if isinstance(value, str) else value
             for (value,) in audit_rows("facts")]
    assert facts == OLD_FACTS
    kept = audit_rows("actor_name, details, address")
    assert [details for _, details, _ in kept] == [""] * 13 + [
        "Changed first name, role: Agent → Supervisor", "Role Owner", ""]
    assert "command line" not in {name for name, _, _ in kept} | {a for _, _, a in kept}
    changes = [json.loads(value) if isinstance(value, str) else value
               for (value,) in audit_rows("changes")]
    assert changes[12] == []  # "No changes" is an edit that changed nothing

    downgrade(revision="0009")
    assert audit_rows("action, actor_name, details, address") == OLD_ENTRIES
