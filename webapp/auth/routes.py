import hashlib

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select

from .. import audit, passwords
from ..extensions import db
from ..models import AuditAction, User, new_session_token
from ..security import is_safe_next
from . import bp, sessions, throttle
from .forms import LoginForm

LOGIN_FAILED = "Invalid username or password."
TOO_MANY_ATTEMPTS = "Too many failed logins from your network. Try again in 15 minutes."


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active, unlocked user with these credentials, or None; failures are recorded.

    Every refusal costs one password hash, so the answer time does not tell whether the
    username exists or the account is locked. Hashing happens between transactions, so a
    flood of wrong passwords never holds the database's write lock; the attempt is counted
    before it (see throttle.claim_attempt) and the row read again after it.
    """
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = find_user_by_username(username)
    if user is None:
        passwords.hash_unlocked(password, method)
        audit.record(AuditAction.LOGIN_FAILED, account_id=None,
                     target_name=unknown_name(username), details="Unknown username")
        return None
    user_id = user.id
    stored_hash = throttle.claim_attempt(user)
    if stored_hash is None:
        passwords.hash_unlocked(password, method)
        audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                     details="Account locked")
        return None
    db.session.commit()  # the attempt counts for every worker before the slow check
    correct = passwords.check_unlocked(stored_hash, password)
    upgraded = None
    if correct and passwords.needs_rehash(stored_hash, method):
        upgraded = passwords.hash_unlocked(password, method)
    # Read the user again: an admin may have changed the password, disabled or deleted
    # the user while the hash ran, and the old password must not win that race.
    user = db.session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        return None
    if not correct or not user.is_active or user.password_hash != stored_hash:
        record_failure(user, "Wrong password" if not correct else
                       "Account disabled" if not user.is_active else "Password changed meanwhile")
        return None
    throttle.record_success(user)
    if upgraded:
        user.update_quietly(password_hash=upgraded)
    return user


def unknown_name(username: str) -> str:
    """How the audit log names a username that does not exist: people type their password
    into the username field, so only a short fingerprint is kept, never the text."""
    return "unknown #" + hashlib.sha256(username.encode()).hexdigest()[:10]


def record_failure(user: User, why: str) -> None:
    """Audit a failed attempt; throttle.claim_attempt has counted it already."""
    audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                 details=why)
    if throttle.locked_by(user):
        audit.record(AuditAction.LOCKED_OUT, account_id=user.account_id, target=user,
                     details=f"After {user.failed_logins} failed logins")


def note_address_lockout(failures_before: int) -> None:
    """Write the moment an address reaches its limit of failed logins to the audit log."""
    if failures_before + 1 == throttle.ADDRESS_MAX_FAILURES:
        audit.record(AuditAction.LOCKED_OUT, account_id=None,
                     details=f"Address refused for {throttle.ADDRESS_WINDOW_MINUTES} minutes "
                             f"after {throttle.ADDRESS_MAX_FAILURES} failed logins")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("settings.index"))
    form = LoginForm()
    if form.validate_on_submit():
        failures = audit.recent_failures_from(audit.client_address(),
                                              throttle.address_window_start())
        if failures >= throttle.ADDRESS_MAX_FAILURES:
            form.form_errors.append(TOO_MANY_ATTEMPTS)
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            note_address_lockout(failures)
            db.session.commit()  # keep the failure count and the audit entry
            form.form_errors.append(LOGIN_FAILED)
        else:
            audit.record(AuditAction.LOGIN, account_id=user.account_id, actor=user, target=user)
            db.session.commit()
            sessions.start(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("settings.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this user's sessions everywhere and go back to the login page."""
    user = current_user._get_current_object()
    user.update_quietly(session_token=new_session_token())
    audit.record(AuditAction.LOGOUT, account_id=user.account_id, actor=user, target=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """The site's root leads to Settings (or the login page)."""
    return redirect(url_for("settings.index"))
