"""Changes to users, and the rules that guard them, in one place for every path.

Each change opens its own write transaction (webapp.database.write_transaction); a
password is hashed before it opens. The rules read without locking, so a form or a
confirmation dialog can show them; a change that depends on them locks the account's row
first and checks them again inside its transaction.
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit, passwords
from ..chats import allocator
from ..database import write_transaction
from ..extensions import db
from ..models import (
    Account,
    AuditAction,
    Division,
    Presence,
    Role,
    Status,
    User,
    new_session_token,
)


class RuleBroken(Exception):
    """A change that a rule forbids; the message says why, in words for the admin (in their
    language: the rules word it when they find the problem, inside the admin's request)."""


class EditConflict(Exception):
    """The user changed since the edit began; nothing was saved."""


# -- the rules ---------------------------------------------------------------------------

def _other_active_admins(user: User) -> int:
    """Active Admins of the user's account besides this one."""
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.account_id == user.account_id,
            User.role == Role.ADMIN,
            User.status == Status.ACTIVE,
            User.id != user.id,
        )
    )


def admin_change_problem(actor: User, user: User, role: Role, status: Status) -> str | None:
    """Why this change of role or status is not allowed, in the reader's language, or None:
    an account keeps an Admin."""
    demoted = user.role == Role.ADMIN and role != Role.ADMIN
    disabled = user.status == Status.ACTIVE and status == Status.DISABLED
    if not (demoted or disabled):
        return None
    if user.id == actor.id and demoted:
        return _("You cannot change your own role: ask another Admin to do it.")
    if user.id == actor.id and disabled:
        return _("You cannot disable your own account: ask another Admin to do it.")
    if user.is_admin and user.is_active and not _other_active_admins(user):
        return _("This is the account's last active Admin; make another user an Admin "
                 "first.")
    return None


def delete_problem(actor: User, user: User) -> str | None:
    """Why this user may not be deleted by this admin, in the reader's language, or None."""
    if user.id == actor.id:
        return _("You cannot delete your own account: ask another Admin to do it.")
    if user.is_admin and user.is_active and not _other_active_admins(user):
        return _("This is the account's last active Admin and cannot be deleted.")
    return None


def _lock_account(account_id: int) -> None:
    """One admin-count check per account at a time, until the transaction ends, so two
    admins removing each other at once cannot both see the other one still there.

    PostgreSQL locks the account's row; SQLite's write transactions are serialized already.
    FOR NO KEY UPDATE does not conflict with the key-share lock that inserting an audit
    entry (a foreign key to accounts) takes.
    """
    db.session.execute(
        select(Account.id).where(Account.id == account_id).with_for_update(key_share=True))


# -- the changes: each one writes its audit entry -------------------------------------------

def hash_new_password(password: str) -> str:
    """Hash a password for storing, with the app's method; before any write transaction."""
    return passwords.hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])


def create_user(account_id: int, fields: dict, password: str, actor: User | None) -> User:
    """Create a user. The unique indexes catch a name taken since the form's checks."""
    password_hash = hash_new_password(password)
    with write_transaction():
        return add_user(account_id, fields, password_hash, actor)


def add_user(account_id: int, fields: dict, password_hash: str, actor: User | None) -> User:
    """Add a user with an already hashed password, inside the caller's write transaction."""
    with write_transaction():
        _hold_division(account_id, fields.get("division_id"))
        user = User(account_id=account_id, status=Status.ACTIVE, password_hash=password_hash,
                    **fields)
        db.session.add(user)
        db.session.flush()
        audit.record(AuditAction.USER_CREATED, account_id=account_id, actor=actor,
                     target=user, facts={"role": user.role})
        return user


def update_user(user: User, fields: dict, actor: User, expected_version: int) -> None:
    """Save an edit made from `expected_version` of the user; EditConflict when the user
    changed since, RuleBroken when the account would lose its last Admin."""
    with write_transaction():
        moves_an_agent = allocation_changes(user, fields)
        if moves_an_agent:
            allocator.lock_allocation(user.account_id)  # first: see webapp.chats.allocator
        if user.version != expected_version:
            raise EditConflict
        _hold_division(user.account_id, fields.get("division_id"))
        role, status = fields.get("role", user.role), fields.get("status", user.status)
        if (user.role, user.status) != (role, status):
            _lock_account(user.account_id)
            problem = admin_change_problem(actor, user, role, status)
            if problem:
                raise RuleBroken(problem)
        changes = apply_edit(user, fields)
        audit.record(AuditAction.USER_EDITED, account_id=user.account_id, actor=actor,
                     target=user, changes=changes)
        if moves_an_agent:
            if user.role == Role.AGENT and user.is_active:
                allocator.agent_moved(user, allocator.Actor.of_user(actor))
            else:
                allocator.agent_left(user, allocator.Actor.of_user(actor))
            allocator.drain(user.account_id)


def allocation_changes(user: User, fields: dict) -> bool:
    """Whether an edit changes who may take chats: an Agent disabled, made another role or
    moved to another division leaves (their open chats go back to the queue); an Agent
    enabled, made one or moved in may take waiting chats."""
    agent_before = user.role == Role.AGENT
    agent_after = fields.get("role", user.role) == Role.AGENT
    changed = any(name in fields and fields[name] != getattr(user, name)
                  for name in ("role", "status", "division_id"))
    return (agent_before or agent_after) and changed


def _hold_division(account_id: int, division_id: int | None) -> None:
    """The division a save puts the user in, checked again inside the write transaction and
    locked against its delete until the transaction ends: the form found it, but an Admin may
    have deleted it since (RuleBroken then, not a foreign-key error)."""
    if division_id is None:
        return
    held = db.session.scalar(
        select(Division.id).where(Division.id == division_id, Division.account_id == account_id)
        .with_for_update(key_share=True))
    if held is None:
        raise RuleBroken(_("Division is not one of this account's divisions."))


def apply_edit(user: User, fields: dict) -> list[dict]:
    """Set the edited fields inside the caller's write transaction and return what changed
    (audit.field_changes): an Admin's edit and a user's own profile edit share it. A
    disabled user's sessions end."""
    before = {name: getattr(user, name) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    if not user.is_active:
        user.end_sessions()
        # Enabled again later, they start Offline: never Online at once by an old API call.
        user.presence, user.presence_by_api = Presence.OFFLINE, False
    db.session.flush()
    return audit.field_changes(before, fields)


def change_password(user: User, password: str, actor: User) -> None:
    """Store a new hash and end the user's sessions. The password is not part of the edit
    form, so this leaves `version` alone: an admin's open edit of the row stays valid."""
    password_hash = hash_new_password(password)
    with write_transaction():
        user.update_quietly(password_hash=password_hash, session_token=new_session_token())
        audit.record(AuditAction.PASSWORD_CHANGED, account_id=user.account_id, actor=actor,
                     target=user)


def delete_user(user: User, actor: User) -> None:
    """Delete the user, unless a rule forbids it (RuleBroken)."""
    with write_transaction():
        allocator.lock_allocation(user.account_id)  # first: see webapp.chats.allocator
        _lock_account(user.account_id)
        problem = delete_problem(actor, user)
        if problem:
            raise RuleBroken(problem)
        # Their open chats go back to the queue first (a chat never keeps a deleted agent).
        allocator.agent_left(user, allocator.Actor.of_user(actor))
        # The row goes, and with it every session: the cookie names a user id that is gone.
        audit.record(AuditAction.USER_DELETED, account_id=user.account_id, actor=actor,
                     target=user, facts={"name": user.full_name, "email": user.email,
                                         "role": user.role})
        db.session.delete(user)
        db.session.flush()
        allocator.drain(user.account_id)


# -- changes from the command line ------------------------------------------------------------


def set_password_from_command_line(user: User, password: str) -> None:
    """Store a new password given on the command line (`flask set-password`: a lost Admin
    password) and end the user's sessions, as change_password does for an Admin.

    It also lifts a login lock: whoever lost a password has usually tried it a few times,
    and should not then wait up to 15 minutes to use the new one.
    """
    password_hash = hash_new_password(password)
    with write_transaction():
        user.update_quietly(password_hash=password_hash, session_token=new_session_token(),
                            failed_logins=0, locked_until=None)
        audit.record(AuditAction.PASSWORD_CHANGED, account_id=user.account_id,
                     target=user, facts={"actor": audit.COMMAND_LINE})
