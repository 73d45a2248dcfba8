"""Command line: `flask --app wsgi create-admin | create-division | bootstrap | backup |
restore | set-password | create-api-token`. Each change goes through the same service
functions and write transactions as the web views, so a command waits for a busy server's
write lock instead of failing."""

import os
import secrets
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from . import backup, passwords
from .auth.service import find_user_by_username
from .database import write_transaction
from .extensions import db
from .integrations import tokens
from .integrations.forms import TokenForm
from .models import Account, Division, Role, User
from .users import service
from .users.forms import CreateUserForm

ACCOUNT_NAME_MAX = 64


def fail(*problems: str) -> None:
    """Print each problem and exit 1; nothing has been written (raised inside a write
    transaction, it rolls that back)."""
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    raise SystemExit(1)


def checked_account_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > ACCOUNT_NAME_MAX:
        fail(f"Account name must be 1–{ACCOUNT_NAME_MAX} characters.")
    return name


def find_account(name: str) -> Account | None:
    return db.session.scalar(select(Account).where(func.lower(Account.name) == name.lower()))


def create_admin_user(account_name: str, username: str, email: str, password: str,
                      first_name: str) -> User:
    """Create the account if missing and an Admin in it, by the same rules as the web form."""
    password_hash = service.hash_new_password(password)  # before the write transaction
    try:
        with write_transaction():
            account = find_account(account_name) or Account.create(account_name)
            form = CreateUserForm(account, formdata=MultiDict({
                "first_name": first_name, "username": username, "email": email,
                "role": Role.ADMIN.value, "password": password, "confirm_password": password,
            }), meta={"csrf": False})
            if not form.validate():
                fail(*[error for field in form for error in field.errors], *form.form_errors)
            db.session.flush()
            return service.add_user(account.id, form.user_fields(), password_hash, actor=None)
    except IntegrityError:
        fail("Username or email is already taken.")


def ask_password() -> str:
    if os.environ.get("ADMIN_PASSWORD"):
        return os.environ["ADMIN_PASSWORD"]
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("create-admin")
@click.option("--account", "account_name", required=True, help="Account name; created if missing.")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--password", help="Else $ADMIN_PASSWORD, else a hidden prompt.")
@click.option("--first-name", help="Defaults to the username.")
def create_admin_command(account_name, username, email, password, first_name):
    """Create an Admin (and the account, when it does not exist yet)."""
    account_name = checked_account_name(account_name)
    password = password if password is not None else ask_password()
    user = create_admin_user(account_name, username, email, password, first_name or username)
    click.echo(f"Created Admin {user.username} in account {account_name}.")


@click.command("create-division")
@click.option("--account", "account_name", required=True)
@click.argument("name")
def create_division_command(account_name, name):
    """Add a division to an existing account."""
    account_name = checked_account_name(account_name)
    name = name.strip()
    if not name or len(name) > 64:
        fail("Division name must be 1–64 characters.")
    taken = f'Account "{account_name}" already has a division named "{name}".'
    try:
        with write_transaction():
            account = find_account(account_name)
            if account is None:
                fail(f'There is no account named "{account_name}".')
            if any(division.name.lower() == name.lower() for division in account.divisions):
                fail(taken)
            account.divisions.append(Division(name=name))
    except IntegrityError:
        fail(taken)
    click.echo(f'Created division "{name}" in account {account_name}.')


@click.command("bootstrap")
def bootstrap_command():
    """On an empty database, create account "Default" and an Admin "admin"; print its password."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        return
    password = secrets.token_urlsafe(12)
    create_admin_user("Default", "admin", "admin@example.com", password, "Admin")
    click.echo("\n  Created account \"Default\" with the Admin \"admin\".")
    click.echo(f"  Password (shown only this once): {password}\n")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path):
    """Write a consistent copy of the database to PATH, safe while the app is serving."""
    try:
        click.echo(backup.backup(db.engine, path))
    except backup.BackupError as error:
        fail(str(error))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool):
    """Replace the database's contents with the backup at PATH."""
    if not yes:
        click.confirm("This replaces every account, user and log entry with the backup's. "
                      "Continue?", abort=True)
    try:
        click.echo(backup.restore(db.engine, path))
    except backup.BackupError as error:
        fail(str(error))


# -- set-password: a lost password, the Admin's own included ----------------------------------

def new_password_from(given: str | None) -> str:
    """--password, else $NEW_PASSWORD, else a hidden prompt asked twice."""
    if given is not None:
        return given
    if os.environ.get("NEW_PASSWORD"):
        return os.environ["NEW_PASSWORD"]
    return click.prompt("New password", hide_input=True, confirmation_prompt=True)


@click.command("set-password")
@click.option("--username", required=True, help="Whose password; letter case does not matter.")
@click.option("--password", help="Else $NEW_PASSWORD, else a hidden prompt asked twice.")
def set_password_command(username, password):
    """Set a new password for a user (a lost Admin password) and end their sessions."""
    user = find_user_by_username(username)
    if user is None:
        fail(f'There is no user with the username "{username}".')
    password = new_password_from(password)
    problems = passwords.problems(password, user.username, user.email)
    if problems:
        fail(*problems)
    username = user.username  # read before the change: `user` expires with its transaction
    service.set_password_from_command_line(user, password)
    click.echo(f"Set a new password for {username}; their open sessions have ended.")


# -- create-api-token: for the customer's chat platform (SPEC §8) ----------------------------

@click.command("create-api-token")
@click.option("--account", "account_name", required=True)
@click.option("--name", required=True, help="What will use the token, e.g. the chat platform.")
def create_api_token_command(account_name, name):
    """Create an API token for an account; the token alone is the last line printed."""
    account_name = checked_account_name(account_name)
    form = TokenForm(formdata=MultiDict({"name": name}), meta={"csrf": False})
    if not form.validate():
        fail(*form.name.errors)
    account = find_account(account_name)
    if account is None:
        fail(f'There is no account named "{account_name}".')
    row, token = tokens.create_token(account.id, form.name.data, actor=None)
    click.echo(f'Created the API token "{row.name}" for account {account.name}. It is shown '
               "only this once; keep it somewhere safe:")
    click.echo(token)


def init_app(app: Flask) -> None:
    for command in (create_admin_command, create_division_command, bootstrap_command,
                    backup_command, restore_command, set_password_command,
                    create_api_token_command):
        app.cli.add_command(command)
