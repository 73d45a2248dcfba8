"""Changes to users, and the rules that guard them, in one place for every path."""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Role, Status, User

LIKE_SPECIALS = re.compile(r"([\\%_])")
PHONE_LIKE_QUERY = re.compile(r"^[+\d\s()-]+$")
PHONE_NOISE = re.compile(r"[\s()-]")


# -- the rules ---------------------------------------------------------------------------

def _other_active_admins(user: User) -> int:
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


# -- the changes ---------------------------------------------------------------------------

def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def create_user(account_id: int, fields: dict, password: str) -> User:
    user = User(account_id=account_id, status=Status.ACTIVE, **fields)
    user.set_password(password, _hash_method())
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, fields: dict) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    if not user.is_active:
        user.end_sessions()
    db.session.flush()


def change_password(user: User, password: str) -> None:
    user.set_password(password, _hash_method())
    user.end_sessions()
    db.session.flush()


def delete_user(user: User) -> None:
    # The row goes, and with it every session: the login cookie names a user id that is gone.
    db.session.delete(user)
    db.session.flush()


# -- finding users ---------------------------------------------------------------------------

def user_in_account(account_id: int, user_id: int) -> User | None:
    """The user with this id in this account only; another account's id is not found."""
    return db.session.scalar(
        select(User).where(User.id == user_id, User.account_id == account_id)
    )


def _like_pattern(text: str) -> str:
    return "%" + LIKE_SPECIALS.sub(r"\\\1", text) + "%"


def search_filter(query: str):
    """A WHERE clause matching the query in any name, username, email or phone, any case.

    `%`, `_` and `\\` are literal. A query that looks like a phone number also matches with
    its spaces, dashes and parentheses removed, as phones are stored.
    """
    folded = query.strip().casefold()
    condition = User.search_text.like(_like_pattern(folded), escape="\\")
    if PHONE_LIKE_QUERY.fullmatch(folded):
        digits = PHONE_NOISE.sub("", folded)
        if digits and digits != folded:
            condition = condition | User.search_text.like(_like_pattern(digits), escape="\\")
    return condition


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_users(account_id: int, query: str = "", role: str = "", page: int = 1,
               per_page: int = 25) -> UserPage:
    """One page of the account's users matching the search, newest first."""
    matching: Select = select(User).where(User.account_id == account_id)
    if query.strip():
        matching = matching.where(search_filter(query))
    if role in set(Role):
        matching = matching.where(User.role == role)
    total = db.session.scalar(select(func.count()).select_from(matching.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)  # past the end shows the last page, not an empty one
    users = db.session.scalars(
        matching.options(joinedload(User.division))
        .order_by(User.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return UserPage(list(users), total, page, per_page)
