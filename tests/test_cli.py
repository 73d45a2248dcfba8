"""The command line: create-admin, create-division, bootstrap and set-password."""

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import Account, AuditAction, AuditEntry, Division, Role, User

GOOD = "lantern-quartz-meadow-7"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def create_admin(runner, *extra, password=GOOD, **env):
    args = ["create-admin", "--account", "Acme", "--username", "root", "--email", "Root@Acme.io"]
    if password is not None:
        args += ["--password", password]
    return runner.invoke(args=args + list(extra), env=env)


def test_create_admin_creates_the_account_with_general_and_the_admin(runner):
    result = create_admin(runner)
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(Account).where(Account.name == "Acme"))
    assert [division.name for division in account.divisions] == ["General"]
    user = db.session.scalar(select(User))
    assert (user.username, user.email, user.role) == ("root", "root@acme.io", Role.ADMIN)
    assert user.account_id == account.id and user.check_password(GOOD)


def test_create_admin_reuses_an_existing_account(runner, account):
    result = runner.invoke(args=["create-admin", "--account", "acme", "--username", "second",
                                 "--email", "second@acme.io", "--password", GOOD])
    assert result.exit_code == 0, result.output
    assert count(Account) == 1
    assert db.session.scalar(select(User.account_id)) == account.id


def test_password_from_the_environment(runner):
    result = create_admin(runner, password=None, ADMIN_PASSWORD=GOOD)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User)).check_password(GOOD)


def test_password_from_a_hidden_confirmed_prompt(runner):
    result = runner.invoke(args=["create-admin", "--account", "Acme", "--username", "root",
                                 "--email", "root@acme.io"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # hidden while typed
    assert db.session.scalar(select(User)).check_password(GOOD)


@pytest.mark.parametrize("args, password, message", [
    (["--username", "x"], GOOD, "Username must be 3–32"),
    (["--email", "nope"], GOOD, "Email is not a valid email address."),
    ([], "short", "Password must be 12–128"),
    ([], "qwertyuiopasdfgh", "Password is too common"),
    ([], "root", "Password must be 12–128"),
    (["--account", "   "], GOOD, "Account name must be"),
])
def test_create_admin_refuses_bad_input_and_writes_nothing(runner, args, password, message):
    base = {"--account": "Acme", "--username": "root", "--email": "root@acme.io"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["create-admin", *[part for pair in base.items() for part in pair],
            "--password", password]
    result = runner.invoke(args=argv)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0 and count(Account) == 0


def test_create_admin_refuses_a_taken_username_in_another_case(runner, factory, account):
    factory.user(account, Role.AGENT, username="Root")
    result = create_admin(runner)
    assert result.exit_code == 1
    assert "Username is already taken." in result.output
    assert count(User) == 1


def test_create_division(runner, account):
    result = runner.invoke(args=["create-division", "--account", "Acme", "Sales"])
    assert result.exit_code == 0, result.output
    names = db.session.scalars(select(Division.name).where(Division.account_id == account.id))
    assert sorted(names) == ["General", "Sales"]


@pytest.mark.parametrize("args, message", [
    (["--account", "Nope", "Sales"], 'There is no account named "Nope".'),
    (["--account", "Acme", "general"], 'already has a division named "general"'),
    (["--account", "Acme", " "], "Division name must be 1–64 characters."),
])
def test_create_division_refuses_bad_input(runner, account, args, message):
    result = runner.invoke(args=["create-division", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert count(Division) == 1


def test_bootstrap_creates_default_admin_once_and_prints_the_password(runner):
    result = runner.invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown only this once): ")[1].split()[0]
    user = db.session.scalar(select(User))
    assert user.username == "admin" and user.role == Role.ADMIN
    assert user.check_password(password)
    again = runner.invoke(args=["bootstrap"])
    assert again.exit_code == 0 and again.output == ""
    assert count(User) == 1


# -- set-password: a lost password ------------------------------------------------------------

def set_password(runner, *args, input=None, **env):
    return runner.invoke(args=["set-password", *args], input=input, env=env)


def password_audit_entries() -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.PASSWORD_CHANGED)))


def test_set_password_sets_it_ends_the_sessions_and_logs_the_command_line(app, runner, admin):
    browser = app.test_client()
    browser.post("/login", data={"username": "boss", "password": PASSWORD})
    assert browser.get("/settings").status_code == 200

    result = set_password(runner, "--username", "BOSS", "--password", GOOD)
    assert result.exit_code == 0, result.output
    assert "boss" in result.output and GOOD not in result.output
    db.session.refresh(admin)
    assert admin.check_password(GOOD) and not admin.check_password(PASSWORD)
    assert admin.version == 1  # a password is no part of an Admin's open edit of the row
    assert browser.get("/settings").status_code == 302  # logged out
    [entry] = password_audit_entries()
    # The command line as a code, worded by the log in its reader's language.
    assert (entry.actor_id, entry.actor_name, entry.address) == (None, "", "")
    assert entry.facts == {"actor": "command_line", "address": "command_line"}
    assert (entry.target_id, entry.account_id) == (admin.id, admin.account_id)


def test_set_password_lifts_a_login_lock(client, runner, admin):
    for attempt in range(6):  # five are free, the sixth locks the account
        client.post("/login", data={"username": "boss", "password": f"lost it {attempt}"})
    db.session.refresh(admin)
    assert admin.locked_until is not None
    assert set_password(runner, "--username", "boss", "--password", GOOD).exit_code == 0
    response = client.post("/login", data={"username": "boss", "password": GOOD})
    assert response.status_code == 302


def test_set_password_from_the_environment(runner, admin):
    result = set_password(runner, "--username", "boss", NEW_PASSWORD=GOOD)
    assert result.exit_code == 0, result.output
    db.session.refresh(admin)
    assert admin.check_password(GOOD)


def test_set_password_from_a_hidden_prompt_asked_twice(runner, admin):
    result = set_password(runner, "--username", "boss", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("password") >= 2 and GOOD not in result.output
    db.session.refresh(admin)
    assert admin.check_password(GOOD)


@pytest.mark.parametrize("args, stdin, message", [
    (["--username", "nobody", "--password", GOOD], None,
     'There is no user with the username "nobody".'),
    (["--username", "boss", "--password", "short"], None, "Password must be 12–128"),
    (["--username", "boss", "--password", "qwertyuiopasdfgh"], None, "Password is too common"),
    (["--username", "boss", "--password", "Boss@Example.com"], None,
     "Password must not be the same as the username or email."),
    (["--username", "boss"], f"{GOOD}\n{GOOD}x\n", "do not match"),
])
def test_set_password_refuses_bad_input_and_writes_nothing(runner, admin, args, stdin, message):
    before = (admin.password_hash, admin.session_token)
    result = set_password(runner, *args, input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    db.session.refresh(admin)
    assert (admin.password_hash, admin.session_token) == before
    assert password_audit_entries() == []
