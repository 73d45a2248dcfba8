"""Logging in and out, as service functions: each write opens its own write transaction,
and every password hash runs between transactions, never holding a lock."""

import hashlib
import time
from dataclasses import dataclass
from enum import Enum, auto

from flask import current_app
from sqlalchemy import func, select

from .. import audit, passwords
from ..database import write_transaction
from ..extensions import db
from ..identity import username_key
from ..models import AttemptOutcome, AuditAction, Presence, User, new_session_token
from . import throttle
from .throttle import Verdict

# How long an attempt waits for attempts in flight (see throttle.Verdict.WAIT) to finish,
# and how often it asks again. Checks take a fraction of a second each.
WAIT_FOR_ATTEMPTS_SECONDS = 10
ASK_AGAIN_SECONDS = 0.05


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    address_refused: bool = False


def find_user_by_username(typed: str) -> User | None:
    """The user with this username, compared as the unique index compares them."""
    key = username_key(typed)
    if key is None:
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == key))


def authenticate(username: str, password: str, address: str) -> LoginResult:
    """Log in: the active, unlocked user with these credentials, or a refusal.

    Every refusal costs one password hash, so the answer time does not tell whether the
    username exists or the account is locked. The attempt is written down before the hash
    (see throttle) and the user read again after it: an admin may change the password,
    disable or delete the user meanwhile, and the old password must not win that race.
    """
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = find_user_by_username(username)
    user_id = user.id if user else None  # read now: `user` expires with each transaction
    claim = _claim(address, user_id)
    if claim.verdict is Verdict.ADDRESS_REFUSED:
        return LoginResult(address_refused=True)
    if claim.verdict is not Verdict.CHECK:
        passwords.hash_password(password, method)  # the same cost as a real check
        _record_refusal(claim.verdict, user_id, username, address)
        return LoginResult()
    if claim.password_hash is None:  # no such user
        passwords.hash_password(password, method)
        _finish_unknown(claim.attempt_id, username, address)
        return LoginResult()
    correct = passwords.check_password(claim.password_hash, password)
    upgraded = None
    if correct and passwords.needs_rehash(claim.password_hash, method):
        upgraded = passwords.hash_password(password, method)
    user = _finish(claim, user_id, correct, address, upgraded=upgraded, logging_in=True)
    return LoginResult(user)


class PasswordCheck(Enum):
    RIGHT = auto()
    WRONG = auto()
    TOO_MANY_TRIES = auto()  # locked, or refused for its address: not checked


def confirm_password(user_id: int, password: str, address: str) -> PasswordCheck:
    """Whether this is the logged-in user's password (to change it, say), counted and
    limited like a login: a session left open must not be a way to guess it."""
    claim = _claim(address, user_id)
    if claim.verdict is not Verdict.CHECK or claim.password_hash is None:
        passwords.hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        if claim.verdict is not Verdict.ADDRESS_REFUSED:
            _record_refusal(claim.verdict, user_id, "", address)
        return PasswordCheck.TOO_MANY_TRIES
    correct = passwords.check_password(claim.password_hash, password)
    user = _finish(claim, user_id, correct, address, logging_in=False)
    return PasswordCheck.RIGHT if user is not None else PasswordCheck.WRONG


def _claim(address: str, user_id: int | None) -> throttle.Claim:
    """Claim the attempt, waiting while attempts in flight may decide it."""
    user = None
    give_up_at = time.monotonic() + WAIT_FOR_ATTEMPTS_SECONDS
    while True:
        with write_transaction():
            if user_id is not None:
                user = db.session.get(User, user_id, populate_existing=True)
            claim = throttle.claim_attempt(address, user)
        if claim.verdict is not Verdict.WAIT:
            return claim
        if time.monotonic() > give_up_at:
            return claim
        time.sleep(ASK_AGAIN_SECONDS)


def _finish(claim: throttle.Claim, user_id: int, correct: bool, address: str, *,
            logging_in: bool, upgraded: str | None = None) -> User | None:
    """Record the checked attempt; the user when the password was right and still counts.

    A right password no longer counts when the user was disabled meanwhile or the password
    changed (an admin's change, or a simultaneous login's rehash): that attempt is refused
    but not counted as a failure, since it was no guess.
    """
    with write_transaction():
        throttle.forget_old_attempts()
        user = db.session.get(User, user_id, with_for_update=True, populate_existing=True)
        if user is None:
            throttle.finish_attempt(claim.attempt_id, None, AttemptOutcome.REFUSED)
            return None
        if not correct:
            locked = throttle.finish_attempt(claim.attempt_id, user, AttemptOutcome.FAILED)
            _record_failure(user, audit.Reason.WRONG_PASSWORD if logging_in
                            else audit.Reason.WRONG_CURRENT_PASSWORD, locked)
            _note_address_limit(address)
            return None
        if not user.is_active or user.password_hash != claim.password_hash:
            throttle.finish_attempt(claim.attempt_id, user, AttemptOutcome.REFUSED)
            why = (audit.Reason.ACCOUNT_DISABLED if not user.is_active
                   else audit.Reason.PASSWORD_CHANGED_MEANWHILE)
            audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                         facts={"reason": why})
            return None
        throttle.finish_attempt(claim.attempt_id, user, AttemptOutcome.SUCCEEDED)
        if upgraded:
            user.update_quietly(password_hash=upgraded)
        if logging_in:
            audit.record(AuditAction.LOGIN, account_id=user.account_id, actor=user,
                         target=user)
        return user


def _finish_unknown(attempt_id: int, username: str, address: str) -> None:
    with write_transaction():
        throttle.forget_old_attempts()
        throttle.finish_attempt(attempt_id, None, AttemptOutcome.FAILED)
        audit.record(AuditAction.LOGIN_FAILED, account_id=None,
                     target_name=unknown_name(username),
                     facts={"reason": audit.Reason.UNKNOWN_USERNAME})
        _note_address_limit(address)


REFUSAL_REASONS = {Verdict.LOCKED: audit.Reason.ACCOUNT_LOCKED,
                   Verdict.WAIT: audit.Reason.TOO_MANY_ATTEMPTS}


def _record_refusal(verdict: Verdict, user_id: int | None, username: str,
                    address: str) -> None:
    with write_transaction():
        user = db.session.get(User, user_id) if user_id is not None else None
        facts = {"reason": REFUSAL_REASONS[verdict]}
        if user is None:
            audit.record(AuditAction.LOGIN_FAILED, account_id=None,
                         target_name=unknown_name(username), facts=facts)
        else:
            audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                         facts=facts)
        if verdict is Verdict.LOCKED:  # counted as a failure from this address
            _note_address_limit(address)


def _record_failure(user: User, why: audit.Reason, locked: bool) -> None:
    audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                 facts={"reason": why})
    if locked:
        audit.record(AuditAction.LOCKED_OUT, account_id=user.account_id, target=user,
                     facts={"failed_logins": user.failed_logins})


def _note_address_limit(address: str) -> None:
    """Write the moment an address reaches its limit of failed logins to the audit log."""
    if throttle.address_failures(address) == throttle.ADDRESS_MAX_FAILURES:
        audit.record(AuditAction.LOCKED_OUT, account_id=None,
                     facts={"reason": audit.Reason.ADDRESS_REFUSED,
                            "minutes": throttle.ADDRESS_WINDOW_MINUTES,
                            "failed_logins": throttle.ADDRESS_MAX_FAILURES})


def unknown_name(username: str) -> str:
    """How the audit log names a username that does not exist: people type their password
    into the username field, so only a short fingerprint is kept, never the text."""
    return "unknown #" + hashlib.sha256(username.encode()).hexdigest()[:10]


def log_out(user: User) -> None:
    """End this user's sessions everywhere: every copy of the login cookie stops working.
    An Agent or Supervisor who logs out takes no more chats: Offline (SPEC §6)."""
    with write_transaction():
        user.update_quietly(session_token=new_session_token(), presence=Presence.OFFLINE,
                            presence_by_api=False)
        audit.record(AuditAction.LOGOUT, account_id=user.account_id, actor=user, target=user)
