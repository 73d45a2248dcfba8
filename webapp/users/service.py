"""Changes to users, and the rules that guard them, in one place for every path."""

from flask import current_app
from sqlalchemy import func, select

from .. import audit, passwords
from ..extensions import db
from ..models import Account, AuditAction, Role, Status, User, new_session_token

# -- the rules ---------------------------------------------------------------------------

def _other_active_admins(user: User) -> int:
    """Active Admins of the user's account besides this one. Locks the account's row first
    (PostgreSQL; SQLite's write transactions are serialized already), so that two admins
    removing each other at the same moment cannot both see the other one still there."""
    db.session.execute(
        select(Account.id).where(Account.id == user.account_id)
        # FOR NO KEY UPDATE: still one admin check at a time, yet no conflict with the key
        # share lock that inserting an audit entry (a foreign key to accounts) takes.
        .with_for_update(key_share=True))
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.account_id == user.account_id,
            User.role == Role.ADMIN,
            User.status == Status.ACTIVE,
            User.id != user.id,
        )
    )


def admin_change_problem(actor: User, user: User, role: Role, status: Status) -> str | None:
    """Why this change of role or status is not allowed, or None: an account keeps an Admin."""
    demoted = user.role == Role.ADMIN and role != Role.ADMIN
    disabled = user.status == Status.ACTIVE and status == Status.DISABLED
    if user.id == actor.id and demoted:
        return "You cannot change your own role: ask another Admin to do it."
    if user.id == actor.id and disabled:
        return "You cannot disable your own account: ask another Admin to do it."
    last_admin = user.is_admin and user.is_active and not _other_active_admins(user)
    if last_admin and (demoted or disabled):
        return "This is the account's last active Admin; make another user an Admin first."
    return None


def delete_problem(actor: User, user: User) -> str | None:
    """Why this user may not be deleted by this admin, or None."""
    if user.id == actor.id:
        return "You cannot delete your own account: ask another Admin to do it."
    if user.is_admin and user.is_active and not _other_active_admins(user):
        return "This is the account's last active Admin and cannot be deleted."
    return None


# -- the changes: each one writes its audit entry -------------------------------------------

def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def create_user(account_id: int, fields: dict, password: str, actor: User | None) -> User:
    """Create a user. Ends the transaction so far (the form's checks) to hash the password
    without holding a lock; the unique indexes catch a name taken meanwhile."""
    return add_user(account_id, fields, hash_new_password(password), actor)


def hash_new_password(password: str) -> str:
    return passwords.hash_unlocked(password, _hash_method())


def add_user(account_id: int, fields: dict, password_hash: str, actor: User | None) -> User:
    user = User(account_id=account_id, status=Status.ACTIVE, password_hash=password_hash,
                **fields)
    db.session.add(user)
    db.session.flush()
    audit.record(AuditAction.USER_CREATED, account_id=account_id, actor=actor, target=user,
                 details=f"Role {user.role}")
    return user


def update_user(user: User, fields: dict, actor: User) -> None:
    before = {name: getattr(user, name) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    if not user.is_active:
        user.end_sessions()
    db.session.flush()
    audit.record(AuditAction.USER_EDITED, account_id=user.account_id, actor=actor, target=user,
                 details=audit.describe_changes(before, fields))


def change_password(user: User, password: str, actor: User) -> None:
    """Store a new hash and end the user's sessions. The password is not part of the edit
    form, so this leaves `version` alone: an admin's open edit of the row stays valid."""
    password_hash = hash_new_password(password)
    user.update_quietly(password_hash=password_hash, session_token=new_session_token())
    audit.record(AuditAction.PASSWORD_CHANGED, account_id=user.account_id, actor=actor,
                 target=user)


def delete_user(user: User, actor: User) -> None:
    # The row goes, and with it every session: the login cookie names a user id that is gone.
    audit.record(AuditAction.USER_DELETED, account_id=user.account_id, actor=actor,
                 target=user, details=f"{user.full_name} <{user.email}>, {user.role}")
    db.session.delete(user)
    db.session.flush()


# -- finding one user --------------------------------------------------------------------

def user_in_account(account_id: int, user_id: int) -> User | None:
    """The user with this id in this account only; another account's id is not found."""
    return db.session.scalar(
        select(User).where(User.id == user_id, User.account_id == account_id)
    )
